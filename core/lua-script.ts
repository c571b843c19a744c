import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';

/**
 * A Lua script kept as a file in core/lua and read once, run by its SHA so Redis parses it once
 * (the way BullMQ keeps its own commands); EVAL only when the server does not know it yet.
 */
export class LuaScript {
  private readonly source: string;
  private readonly sha: string;

  constructor(readonly name: string) {
    this.source = fs.readFileSync(path.join(__dirname, 'lua', `${name}.lua`), 'utf8');
    this.sha = createHash('sha1').update(this.source).digest('hex');
  }

  async run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

const loaded = new Map<string, LuaScript>();

/** The script core/lua/<name>.lua, read from disk the first time it is asked for. */
export function luaScript(name: string): LuaScript {
  let script = loaded.get(name);
  if (!script) {
    script = new LuaScript(name);
    loaded.set(name, script);
  }
  return script;
}
