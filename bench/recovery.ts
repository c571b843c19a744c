/**
 * How long a deployment takes to end after its worker is killed, measured from the moment a new
 * worker is started, beside an uninterrupted run of the same deployment in the same run.
 */
import { uniqueName } from '../test/helpers/harness';
import { pause, StrataProcesses } from '../test/helpers/servers';

export interface RecoveryFigures {
  uninterrupted: number[];
  recovered: number[];
  /** Of `recovered`: from the new worker's start until the deployment was running again. */
  resumed: number[];
  endedSucceeded: number;
  trials: number;
}

const layers = { data: { target: 'local' }, storage: { target: 'local' } };

export async function measureRecovery(trials: number): Promise<RecoveryFigures> {
  const strata = await StrataProcesses.start();
  const figures: RecoveryFigures = {
    uninterrupted: [],
    recovered: [],
    resumed: [],
    endedSucceeded: 0,
    trials,
  };
  try {
    for (let trial = 0; trial < trials; trial++) {
      let started = Date.now();
      await strata.waitFor(await strata.create({ name: uniqueName('bench-base'), layers }));
      figures.uninterrupted.push(Date.now() - started);

      const id = await strata.create({ name: uniqueName('bench-kill'), layers });
      await strata.waitFor(id, ['running']);
      await pause(200 + Math.random() * 3_000);
      await strata.killWorker();
      started = Date.now();
      strata.startWorker();
      for (;;) {
        const d = await strata.deployment(id);
        if ((d.attempts ?? 0) >= 2 || d.status !== 'running') break;
        await pause(50);
      }
      figures.resumed.push(Date.now() - started);
      const ended = await strata.waitFor(id);
      figures.recovered.push(Date.now() - started);
      if (ended.status === 'succeeded') figures.endedSucceeded++;
    }
  } finally {
    await strata.close();
  }
  return figures;
}
