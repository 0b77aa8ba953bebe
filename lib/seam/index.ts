export { createSeam, type Seam, type SeamDomainState, type CallOptions } from './seam.ts';
export { retryFencedRequests, type RequestRetryOptions } from './requests.ts';
export { seamErrorHandler, defaultSeamErrorBody, type SeamErrorHandlerOptions, type SeamErrorInfo } from './express.ts';
export {
  SeamUnavailableError, SeamError, isFenceError, isFenceTriggerError, describeFence, isSeamUnavailable, SEAM_UNAVAILABLE, SEAM_UNKNOWN_DOMAIN, SEAM_INVALID_OPTIONS, WRITE_FENCED,
} from './errors.ts';
export {
  resolveSeamOptions, DEFAULT_WRITE_RETRY_MAX_MS, DEFAULT_WRITE_RETRY_BACKOFF_MS, DEFAULT_MAX_BACKOFF_MS, DEFAULT_RETRY_AFTER_SECONDS,
  type SeamOptions, type RetryOptions, type Connection,
} from './options.ts';
export { SEAM_METRICS, promSink, type SeamEvent, type SeamOp } from './metrics.ts';
