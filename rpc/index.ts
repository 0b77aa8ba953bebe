/** Shared Thrift plumbing for every service: see thrift/README.md ("Plumbing"). */
export { createThriftServer, type ThriftServer, type ThriftServerOptions, DEFAULT_HTTP_PATH } from './server.ts';
export { createThriftClient, CLIENT_DEFAULTS, type ThriftClient, type ThriftClientOptions, type ThriftApi } from './client.ts';
export { createServiceClients, closeServiceClients, SERVICE_MODULES, DEFAULT_THRIFT_PORTS, type ServiceClients, type ServiceName } from './services.ts';
export { currentCall, type CallInfo, type RequestContext, type Actor } from './context.ts';
export { toIdlException, fromRemoteError, kindForCode, CLIENT_CODES, type ExceptionKind, type RemoteAppError } from './errors.ts';
export { rpcMetrics, newRegistry } from './metrics.ts';
export { serviceMethods, type ServiceModule } from './service-module.ts';
export type { HealthCheck } from './handler.ts';
export { PROTOCOLS, type ProtocolName } from './protocols.ts';
