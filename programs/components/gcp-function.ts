import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';

export type FunctionTrigger = 'http' | 'pubsub' | 'firestore';

export interface GcpFunctionArgs {
  functionName: string;
  region: string;
  project?: string;
  runtime: string;
  entryPoint: string;
  memory: string;
  timeoutSeconds: number;
  maxInstances: number;
  trigger: FunctionTrigger;
  /** Topic ID for pubsub triggers. */
  topic?: pulumi.Input<string>;
  /** Firestore database and document path pattern for firestore triggers. */
  firestoreDatabase?: pulumi.Input<string>;
  firestoreDocument?: string;
  /** Firestore triggers must live where the database does (e.g. eur3). */
  firestoreLocation?: string;
  /** Where the zipped source lives; when absent a placeholder is uploaded to `sourceBucket`. */
  source?: { bucket: string; object: string };
  sourceBucket: pulumi.Input<string>;
  serviceAccountEmail: pulumi.Input<string>;
  environment: Record<string, pulumi.Input<string>>;
}

/**
 * A stand-in that answers 501 until CI deploys the real code (gcloud or a new object), so the
 * stack deploys on its own and nobody mistakes it for the application.
 */
function placeholderSource(runtime: string): pulumi.asset.AssetArchive {
  if (runtime.startsWith('python')) {
    return new pulumi.asset.AssetArchive({
      'main.py': new pulumi.asset.StringAsset(
        'def handler(request=None, *args):\n    return ("not deployed yet", 501)\n',
      ),
      'requirements.txt': new pulumi.asset.StringAsset('functions-framework==3.*\n'),
    });
  }
  return new pulumi.asset.AssetArchive({
    'index.js': new pulumi.asset.StringAsset(
      "exports.handler = (req, res) => { if (res) res.status(501).send('not deployed yet'); };\n",
    ),
    'package.json': new pulumi.asset.StringAsset(
      JSON.stringify({ name: 'placeholder', version: '0.0.0', main: 'index.js' }),
    ),
  });
}

/** One Cloud Functions (2nd gen) function with its source object and trigger. */
export class GcpFunction extends pulumi.ComponentResource {
  readonly function: gcp.cloudfunctionsv2.Function;

  constructor(name: string, args: GcpFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super('strata:gcp:Function', name, {}, opts);
    const source =
      args.source ??
      (() => {
        const object = new gcp.storage.BucketObject(
          `${name}-source`,
          {
            bucket: args.sourceBucket,
            name: `${args.functionName}/placeholder.zip`,
            source: placeholderSource(args.runtime),
          },
          { parent: this },
        );
        return { bucket: args.sourceBucket, object: object.name };
      })();
    const eventTrigger: gcp.types.input.cloudfunctionsv2.FunctionEventTrigger | undefined =
      args.trigger === 'pubsub'
        ? {
            eventType: 'google.cloud.pubsub.topic.v1.messagePublished',
            pubsubTopic: args.topic,
            retryPolicy: 'RETRY_POLICY_RETRY',
            serviceAccountEmail: args.serviceAccountEmail,
            triggerRegion: args.region,
          }
        : args.trigger === 'firestore'
          ? {
              eventType: 'google.cloud.firestore.document.v1.written',
              eventFilters: [
                { attribute: 'database', value: args.firestoreDatabase ?? '(default)' },
                {
                  attribute: 'document',
                  value: args.firestoreDocument ?? '{collection}/{document}',
                  operator: 'match-path-pattern',
                },
              ],
              retryPolicy: 'RETRY_POLICY_RETRY',
              serviceAccountEmail: args.serviceAccountEmail,
              triggerRegion: args.firestoreLocation ?? args.region,
            }
          : undefined;
    this.function = new gcp.cloudfunctionsv2.Function(
      `${name}-function`,
      {
        name: args.functionName,
        location: args.region,
        project: args.project,
        buildConfig: {
          runtime: args.runtime,
          entryPoint: args.entryPoint,
          source: { storageSource: { bucket: source.bucket, object: source.object } },
        },
        serviceConfig: {
          availableMemory: args.memory,
          timeoutSeconds: args.timeoutSeconds,
          maxInstanceCount: args.maxInstances,
          serviceAccountEmail: args.serviceAccountEmail,
          // No allUsers binding: callers need run.invoker (Scheduler's OIDC identity, Eventarc).
          ingressSettings: 'ALLOW_ALL',
          environmentVariables: args.environment,
        },
        eventTrigger,
      },
      { parent: this },
    );
    this.registerOutputs({ url: this.function.url });
  }
}
