import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LayerName, TargetName } from '../../core/domain';
import { allLayers } from '../../catalogue/layer-catalogue';
import { startHarness, uniqueName, type Harness } from '../helpers/harness';

interface Node {
  pattern?: string;
  properties?: Record<string, Node>;
  items?: Node;
  patternProperties?: Record<string, Node>;
  anyOf?: Node[];
}

type Step = string | number;

/** Every place in a config schema where a pattern checks a string, as a path into the config. */
function patternPaths(node: Node, path: Step[] = []): Step[][] {
  const found: Step[][] = node.pattern ? [path] : [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    found.push(...patternPaths(child, [...path, key]));
  }
  if (node.items) found.push(...patternPaths(node.items, [...path, 0]));
  for (const child of Object.values(node.patternProperties ?? {})) {
    found.push(...patternPaths(child, [...path, 'KEY']));
  }
  for (const child of node.anyOf ?? []) found.push(...patternPaths(child, path));
  return found;
}

/** A config holding `value` at `path`, nothing else. */
function configAt(path: Step[], value: string): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const inner = configAt(rest, value);
  return typeof head === 'number' ? [inner] : { [head as string]: inner };
}

/** About a megabyte (under the body limit) of the kind of input that makes backtracking slow. */
const HOSTILE = `a@${'a.1-'.repeat(249_990)}!`;

describe('hostile input', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ worker: false });
  });
  after(async () => {
    await h.close();
  });

  it('refuses a megabyte value for every pattern in the catalogue while /healthz keeps answering', async () => {
    let polling = true;
    let slowestHealth = 0;
    let healthAnswers = 0;
    const poll = (async () => {
      while (polling) {
        const started = performance.now();
        const response = await fetch(`${h.url}/healthz`);
        assert.equal(response.status, 200);
        slowestHealth = Math.max(slowestHealth, performance.now() - started);
        healthAnswers++;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    let slowestRefusal = 0;
    let checked = 0;
    try {
      for (const definition of allLayers()) {
        for (const path of patternPaths(definition.config as Node)) {
          const started = performance.now();
          const response = await h.api('/v1/environments', {
            method: 'POST',
            json: {
              name: uniqueName('hostile'),
              layers: {
                [definition.layer as LayerName]: {
                  target: definition.target as TargetName,
                  config: configAt(path, HOSTILE),
                },
              },
            },
          });
          slowestRefusal = Math.max(slowestRefusal, performance.now() - started);
          const body = (await response.json()) as { message: string };
          const where = `${definition.target}/${definition.layer} ${path.join('.')}`;
          assert.equal(response.status, 400, where);
          assert.match(
            body.message,
            /must be at most \d+ characters|longer than \d+ characters/,
            where,
          );
          checked++;
        }
      }
    } finally {
      polling = false;
      await poll;
    }
    assert.ok(checked > 50, `only ${checked} patterns found`);
    assert.ok(healthAnswers > 0);
    console.log(
      `# ${checked} patterned fields refused; slowest refusal ${slowestRefusal.toFixed(0)} ms, slowest /healthz meanwhile ${slowestHealth.toFixed(0)} ms`,
    );
    assert.equal((await h.app.strata.lifecycle.queue.getJobCounts()).waiting ?? 0, 0);
  });
});
