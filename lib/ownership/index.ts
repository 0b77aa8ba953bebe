export * from './types.ts';
export { MemoryOwnershipRegistry } from './memory.ts';
export {
  MysqlOwnershipRegistry, createMysqlOwnershipRegistry, DEFAULT_OWNERSHIP_CHANNEL, DEFAULT_OWNERSHIP_CHANNEL_PREFIX, DEFAULT_OWNERSHIP_POLL_MS,
  ownershipChannelFor, type MysqlOwnershipOptions,
} from './mysql.ts';
export { ensureRegistry, OWNERSHIP_TABLE, OWNERSHIP_AUDIT_TABLE, DOMAIN_COLUMN_LENGTH, type EnsureRegistryOptions } from './schema.ts';
