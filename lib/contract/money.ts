/** Exact comparison of non-negative decimal strings with up to 2 decimals (no floats). */
export function compareDecimal(a: string, b: string): number {
  const cents = (s: string): bigint => {
    const [i, f = ''] = s.split('.');
    return BigInt(i) * 100n + BigInt((f + '00').slice(0, 2));
  };
  const d = cents(a) - cents(b);
  return d === 0n ? 0 : d > 0n ? 1 : -1;
}
