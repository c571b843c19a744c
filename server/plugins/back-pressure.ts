import underPressure from '@fastify/under-pressure';
import fp from 'fastify-plugin';
import type { Settings } from '../../core/settings';
import { ServiceUnavailableError } from '../errors';

/** Seconds a client is told to wait before it tries again. */
const RETRY_AFTER_S = 10;

/**
 * An overloaded process answers 503 with `retry-after` at once rather than letting requests
 * queue until they time out. `/healthz` (liveness) still answers: a busy process is alive, and
 * restarting it would only lose the work it is doing. `/readyz` answers 503 like the rest, so a
 * balancer sends traffic elsewhere until the process has caught up.
 */
export default fp<{ settings: Settings }>(
  async (app, { settings }) => {
    await app.register(underPressure, {
      maxEventLoopDelay: settings.maxEventLoopDelayMs,
      // 0 turns the check off: utilization never exceeds 1.
      maxEventLoopUtilization:
        settings.maxEventLoopUtilization < 1 ? settings.maxEventLoopUtilization : 0,
      retryAfter: RETRY_AFTER_S,
      pressureHandler: async (request, reply, type, value) => {
        if (request.routeOptions.url === '/healthz') return;
        reply.header('retry-after', RETRY_AFTER_S);
        const measured = typeof value === 'number' ? ` (${value.toFixed(2)})` : '';
        throw new ServiceUnavailableError(
          `the server is overloaded: ${type}${measured} is past its limit (STRATA_MAX_EVENT_LOOP_DELAY_MS, STRATA_MAX_EVENT_LOOP_UTILIZATION); try again in ${RETRY_AFTER_S} s`,
        );
      },
    });
  },
  { name: 'strata-back-pressure' },
);
