/**
 * The local target's PostgreSQL role and database, through the dynamic provider's own methods,
 * on a private server that logs every statement and checks passwords over TCP.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { databaseProvider, roleProvider } from '../../../programs/local/postgres-provider';
import { PrivatePostgres } from '../../helpers/servers';

const SCRAM = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/;

/** Whether a SCRAM-SHA-256 verifier (PostgreSQL's format) was computed from `password`. */
function verifies(verifier: string, password: string): boolean {
  const [, iterations, salt, storedKey, serverKey] = SCRAM.exec(verifier) ?? [];
  if (!iterations || !salt) return false;
  const salted = pbkdf2Sync(
    password,
    Buffer.from(salt, 'base64'),
    Number(iterations),
    32,
    'sha256',
  );
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  return (
    createHash('sha256').update(clientKey).digest('base64') === storedKey &&
    createHmac('sha256', salted).update('Server Key').digest('base64') === serverKey
  );
}

function outs<T>(result: { outs?: T }): T {
  assert.ok(result.outs, 'the provider returned outputs');
  return result.outs;
}

describe('the local PostgreSQL provider', () => {
  let pg: PrivatePostgres;
  const name = (prefix: string): string => `${prefix}_${randomBytes(3).toString('hex')}`;

  before(async () => {
    pg = await PrivatePostgres.start({
      settings: ['log_statement=all'],
      // The admin connection is trusted; every other role must prove its password.
      hba: 'local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n',
    });
  });
  after(() => pg.close());

  const admin = async <T>(work: (c: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ connectionString: pg.url });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  const connectAs = async (user: string, password: string, database = 'postgres') => {
    const client = new Client({ host: '127.0.0.1', port: pg.port, user, password, database });
    await client.connect();
    await client.end();
  };
  const storedVerifier = (role: string): Promise<string> =>
    admin(async (c) =>
      String(
        (await c.query('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role])).rows[0]
          ?.rolpassword,
      ),
    );

  it("sends the role's password only as a SCRAM verifier, also when adopting a role", async () => {
    const role = name('scram');
    const { password } = outs(await roleProvider.create!({ adminUrl: pg.url, name: role }));
    const verifier = await storedVerifier(role);
    assert.match(verifier, SCRAM);
    assert.ok(verifies(verifier, password), 'pg_authid holds the verifier of the password');
    await connectAs(role, password);
    await assert.rejects(connectAs(role, `${password}x`), /password authentication failed/);

    // An interrupted create left the role: it is adopted with a new password, sent the same way.
    const adopted = outs(await roleProvider.create!({ adminUrl: pg.url, name: role }));
    const newPassword = adopted.password;
    assert.notEqual(newPassword, password);
    assert.ok(verifies(await storedVerifier(role), newPassword));
    await connectAs(role, newPassword);

    const log = fs.readFileSync(`${pg.dir}/server.log`, 'utf8');
    assert.match(log, new RegExp(`ROLE "${role}"`), 'the server logged the statements');
    for (const secret of [password, newPassword])
      assert.ok(!log.includes(secret), 'the clear password reached the server log');
    await roleProvider.delete!(role, adopted);
  });

  it('creates databases that only their owner (and superusers) may connect to', async () => {
    const owner = name('owner');
    const database = name('db');
    const role = outs(await roleProvider.create!({ adminUrl: pg.url, name: owner }));
    await databaseProvider.create!({ adminUrl: pg.url, name: database, owner });
    const intruder = name('intruder');
    await admin((c) => c.query(`CREATE ROLE ${intruder} LOGIN PASSWORD 'intruder-password'`));

    await connectAs(owner, role.password, database);
    await assert.rejects(
      connectAs(intruder, 'intruder-password', database),
      /permission denied for database/,
    );

    await databaseProvider.delete!(database, { adminUrl: pg.url, name: database, owner });
    await admin((c) => c.query(`DROP ROLE ${intruder}`));
    await roleProvider.delete!(owner, role);
  });
});
