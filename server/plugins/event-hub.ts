import fp from 'fastify-plugin';
import { EventHub } from '../event-hub';

declare module 'fastify' {
  interface FastifyInstance {
    eventHub: EventHub;
  }
}

/** The process's one reader of deployment event streams, closed with the app. */
export default fp(
  async (app) => {
    const { redis, keys, events, settings } = app.strata;
    const hub = new EventHub({
      redis,
      keys,
      events,
      logger: app.log,
      connectionName: eventReaderName(keys.namespace),
      maxStreams: settings.sseMaxStreams,
      maxStreamsPerToken: settings.sseMaxStreamsPerToken,
    });
    app.decorate('eventHub', hub);
    app.addHook('preClose', async () => hub.endStreams());
    app.addHook('onClose', async () => hub.close());
  },
  { name: 'strata-event-hub', dependencies: ['strata-services'] },
);

/** CLIENT SETNAME of the event reader's connection (CLIENT LIST shows it). */
export function eventReaderName(namespace: string): string {
  return `strata-events:${namespace}`;
}
