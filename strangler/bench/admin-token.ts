/** The admin token of the benchmark facades (their processes and the benches that ask their admin API must agree). */
export const BENCH_ADMIN_TOKEN = 'bench-token-0123456789';
