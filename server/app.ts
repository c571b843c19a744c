import Fastify from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import type { Settings } from '../core/settings';
import auth from './plugins/auth';
import backPressure from './plugins/back-pressure';
import dashboard from './plugins/dashboard';
import errorHandler from './plugins/error-handler';
import eventHub from './plugins/event-hub';
import metrics from './plugins/metrics';
import openapi from './plugins/openapi';
import rateLimit from './plugins/rate-limit';
import requestLog, { RequestLog } from './plugins/request-log';
import services from './plugins/services';
import bundleRoutes from './routes/bundle';
import catalogueRoutes from './routes/catalogue';
import deploymentRoutes from './routes/deployments';
import environmentRoutes from './routes/environments';
import healthRoutes from './routes/health';
import notificationRoutes from './routes/notifications';
import reviewTemplateRoutes from './routes/review-templates';
import sessionRoutes from './routes/session';
import webhookRoutes from './routes/webhooks';

export interface AppOptions {
  settings: Settings;
  logger: Logger;
  /** Tests give each run its own queue. */
  queueName?: string;
}

/** Composes the API: plugins, then routes. The process around it lives in server.ts. */
export async function buildApp(options: AppOptions) {
  const app = Fastify({
    loggerInstance: options.logger,
    // Unknown fields are an error to report, not something to drop silently.
    ajv: {
      customOptions: {
        removeAdditional: false,
        coerceTypes: false,
        allErrors: true,
        verbose: true,
      },
    },
    bodyLimit: 1024 * 1024,
    logController: new RequestLog(),
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(errorHandler);
  // First of the request hooks: an overloaded process refuses before doing any work.
  await app.register(backPressure, { settings: options.settings });
  await app.register(services, { settings: options.settings, queueName: options.queueName });
  await app.register(auth, {
    apiToken: options.settings.apiToken,
    tokensFile: options.settings.tokensFile,
  });
  await app.register(requestLog);
  // Before the routes: each adds its hook (or its documentation) to every route as it is added.
  await app.register(eventHub);
  await app.register(rateLimit);
  await app.register(openapi);

  await app.register(healthRoutes);
  await app.register(catalogueRoutes);
  await app.register(environmentRoutes);
  await app.register(deploymentRoutes);
  await app.register(bundleRoutes);
  await app.register(reviewTemplateRoutes);
  await app.register(notificationRoutes);
  await app.register(webhookRoutes);
  await app.register(sessionRoutes);
  await app.register(metrics);
  await app.register(dashboard);
  return app;
}
