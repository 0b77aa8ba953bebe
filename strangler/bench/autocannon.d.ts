// autocannon ships no types; the bench only reads a few numeric fields.
declare module 'autocannon' {
  const autocannon: (opts: Record<string, unknown>) => Promise<any>;
  export default autocannon;
}
