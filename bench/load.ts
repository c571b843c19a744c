import http from 'node:http';

/**
 * A small load generator: `connections` keep-alive connections, each sending its next GET as
 * soon as the previous answer is read, for `seconds`. Returns requests per second (2xx only).
 */
export async function requestRate(
  url: string,
  headers: Record<string, string>,
  connections = 20,
  seconds = 5,
): Promise<{ rate: number; errors: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const until = performance.now() + seconds * 1000;
  let ok = 0;
  let errors = 0;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const request = http.get(url, { agent, headers }, (response) => {
        response.resume();
        response.on('end', () => {
          if ((response.statusCode ?? 0) < 300) ok++;
          else errors++;
          resolve();
        });
      });
      request.on('error', () => {
        errors++;
        resolve();
      });
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < until) await one();
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return { rate: ok / elapsed, errors };
}
