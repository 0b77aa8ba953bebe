export * from './types.ts';
export { MemoryOwnershipRegistry } from './memory.ts';
export {
  MysqlOwnershipRegistry, createMysqlOwnershipRegistry, DEFAULT_OWNERSHIP_CHANNEL, DEFAULT_OWNERSHIP_POLL_MS,
  OWNERSHIP_TABLE, OWNERSHIP_AUDIT_TABLE, type MysqlOwnershipOptions,
} from './mysql.ts';
