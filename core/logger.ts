import pino, { type Logger, type LoggerOptions } from 'pino';

/** Paths pino blanks in every log line: credentials must never reach the logs. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-hub-signature-256"]',
  'headers.authorization',
  '*.password',
  '*.secret',
  '*.token',
  '*.secretKey',
  '*.accessKey',
  '*.passphrase',
  '*.apiToken',
  '*.bundleKey',
  '*.url',
  'settings',
];

export function loggerOptions(level: string): LoggerOptions {
  return { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
}

export function createLogger(level: string, name: string): Logger {
  return pino({ ...loggerOptions(level), name });
}
