import * as cloudflare from '@pulumi/cloudflare';
import * as pulumi from '@pulumi/pulumi';

export interface WorkerSpec {
  name: string;
  routes: string[];
  content?: string;
  vars: Record<string, string>;
  bindBucket: boolean;
}

export interface CloudflareWorkersArgs {
  prefix: string;
  accountId: string;
  zoneId: string;
  workers: WorkerSpec[];
  compatibilityDate: string;
  /** R2 bucket bound as BUCKET to workers that ask for it. */
  bucketName?: pulumi.Input<string>;
}

/** Answers 501 until CI deploys the real worker with wrangler, so nobody mistakes it for the app. */
const PLACEHOLDER = `export default {
  async fetch() {
    return new Response('not deployed yet', { status: 501 });
  },
};
`;

/** Workers scripts (ES modules) and the zone routes that send traffic to them. */
export class CloudflareWorkers extends pulumi.ComponentResource {
  readonly scriptNames: pulumi.Output<string[]>;

  constructor(name: string, args: CloudflareWorkersArgs, opts?: pulumi.ComponentResourceOptions) {
    super('strata:cloudflare:Workers', name, {}, opts);
    const names = args.workers.map((worker) => {
      if (worker.bindBucket && !args.bucketName) {
        throw new Error(`worker ${worker.name} binds BUCKET but there is no R2 bucket`);
      }
      const scriptName = `${args.prefix}-${worker.name}`;
      const bindings: cloudflare.types.input.WorkersScriptBinding[] = [
        ...Object.entries(worker.vars).map(([key, text]) => ({
          type: 'plain_text',
          name: key,
          text,
        })),
        ...(worker.bindBucket && args.bucketName
          ? [{ type: 'r2_bucket', name: 'BUCKET', bucketName: args.bucketName }]
          : []),
      ];
      const script = new cloudflare.WorkersScript(
        `${name}-${worker.name}`,
        {
          accountId: args.accountId,
          scriptName,
          content: worker.content ?? PLACEHOLDER,
          mainModule: 'worker.js',
          compatibilityDate: args.compatibilityDate,
          bindings,
          observability: { enabled: true },
        },
        // CI deploys the real code with wrangler: only the first upload comes from here.
        { parent: this, ignoreChanges: worker.content ? [] : ['content'] },
      );
      worker.routes.forEach((pattern, i) => {
        new cloudflare.WorkersRoute(
          `${name}-${worker.name}-route-${i}`,
          { zoneId: args.zoneId, pattern, script: script.scriptName },
          { parent: this },
        );
      });
      return script.scriptName;
    });
    this.scriptNames = pulumi.all(names);
    this.registerOutputs({ scriptNames: this.scriptNames });
  }
}
