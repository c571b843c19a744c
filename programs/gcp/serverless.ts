import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { Type, type Static } from '@sinclair/typebox';
import { GcpFunction } from '../components/gcp-function';
import { failOn } from '../lib/config';
import { defineLayer, optionalDependencyOutput } from '../lib/types';
import { gcpCommon, gcpName } from './common';

const NAME = '^[a-z][a-z0-9-]{0,40}$';

const FunctionSpec = Type.Object(
  {
    name: Type.String({ pattern: NAME, description: 'Function name.' }),
    runtime: Type.Union(
      [
        Type.Literal('nodejs20'),
        Type.Literal('nodejs22'),
        Type.Literal('python312'),
        Type.Literal('python313'),
      ],
      { default: 'nodejs22', description: 'Runtime.' },
    ),
    entryPoint: Type.String({
      pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
      default: 'handler',
      description: 'Exported function to call.',
    }),
    trigger: Type.Union([Type.Literal('http'), Type.Literal('pubsub'), Type.Literal('firestore')], {
      default: 'http',
      description:
        'http (e.g. called by a schedule), a Pub/Sub topic, or Firestore document writes.',
    }),
    topic: Type.Optional(
      Type.String({ pattern: NAME, description: 'Topic (one of `topics`) for pubsub triggers.' }),
    ),
    firestoreDocument: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Document path pattern for firestore triggers, e.g. "messages/{id}".',
      }),
    ),
    memory: Type.String({
      pattern: '^[0-9]+(M|Mi|G|Gi)$',
      default: '256M',
      description: 'Memory.',
    }),
    timeoutSeconds: Type.Integer({
      minimum: 1,
      maximum: 3600,
      default: 60,
      description: 'Timeout.',
    }),
    maxInstances: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 10,
      description: 'Scaling ceiling.',
    }),
    sourceBucket: Type.Optional(
      Type.String({
        minLength: 3,
        description: 'Bucket of the zipped source; unset: a placeholder until CI deploys.',
      }),
    ),
    sourceObject: Type.Optional(
      Type.String({ minLength: 1, description: 'Object of the zipped source.' }),
    ),
  },
  { additionalProperties: false },
);

const Schedule = Type.Object(
  {
    name: Type.String({ pattern: NAME, description: 'Job name.' }),
    schedule: Type.String({ pattern: '^(\\S+\\s+){4}\\S+$', description: 'cron expression.' }),
    timeZone: Type.String({
      minLength: 1,
      default: 'Etc/UTC',
      description: 'Time zone of the schedule.',
    }),
    function: Type.Optional(Type.String({ pattern: NAME, description: 'http function to call.' })),
    topic: Type.Optional(
      Type.String({ pattern: NAME, description: 'Topic to publish to instead.' }),
    ),
  },
  { additionalProperties: false },
);

/** Functions and schedules may only name what this layer defines. */
function referenceProblems(c: {
  topics: string[];
  functions: Static<typeof FunctionSpec>[];
  schedules: Static<typeof Schedule>[];
}): string[] {
  const problems: string[] = [];
  const field = 'layers.serverless.config';
  c.functions.forEach((f, i) => {
    if (f.trigger === 'pubsub' && (!f.topic || !c.topics.includes(f.topic))) {
      problems.push(
        `${field}.functions[${i}].topic: function ${f.name} needs a topic from \`topics\``,
      );
    }
    if ((f.sourceBucket === undefined) !== (f.sourceObject === undefined)) {
      problems.push(
        `${field}.functions[${i}]: function ${f.name} needs both sourceBucket and sourceObject`,
      );
    }
  });
  c.schedules.forEach((s, i) => {
    const target = s.function ?? s.topic;
    const known = s.function
      ? c.functions.some((f) => f.name === s.function && f.trigger === 'http')
      : c.topics.includes(s.topic ?? '');
    if (!target || !known || (s.function && s.topic)) {
      problems.push(
        `${field}.schedules[${i}]: schedule ${s.name} needs exactly one http \`function\` or \`topic\` it defines`,
      );
    }
  });
  return problems;
}

export const gcpServerless = defineLayer({
  target: 'gcp',
  layer: 'serverless',
  description:
    'Cloud Functions (2nd gen) from zipped sources in a private bucket, triggered over HTTP, by Pub/Sub or by Firestore writes; Pub/Sub topics; Cloud Scheduler jobs that call functions with an OIDC identity or publish to topics.',
  config: Type.Object(
    {
      ...gcpCommon,
      topics: Type.Array(Type.String({ pattern: NAME }), {
        default: [],
        maxItems: 50,
        uniqueItems: true,
        description: 'Pub/Sub topics.',
      }),
      messageRetention: Type.String({
        pattern: '^[0-9]+s$',
        default: '86400s',
        description: 'How long topics keep messages.',
      }),
      functions: Type.Array(FunctionSpec, { default: [], maxItems: 50, description: 'Functions.' }),
      schedules: Type.Array(Schedule, {
        default: [],
        maxItems: 50,
        description: 'Cloud Scheduler jobs.',
      }),
      firestoreDatabase: Type.String({
        minLength: 1,
        default: '(default)',
        description: "Database of firestore triggers (the data layer's, when it has one).",
      }),
      firestoreLocation: Type.String({
        pattern: '^[a-z0-9-]+$',
        default: 'eur3',
        description: 'Location of that database (firestore triggers run there).',
      }),
      paused: Type.Boolean({ default: false, description: 'Create schedules paused.' }),
    },
    { additionalProperties: false },
  ),
  presets: {
    dev: { paused: true, messageRetention: '3600s' },
    prod: { messageRetention: '604800s' },
  },
  outputs: [
    { name: 'functionUrls', env: 'FUNCTION_URLS', description: 'name=url pairs, comma-separated.' },
    { name: 'topics', env: 'PUBSUB_TOPICS', description: 'Topic IDs, comma-separated.' },
  ],
  check: referenceProblems,
  program: (args) => async () => {
    const c = args.config;
    const project = c.project;
    failOn(referenceProblems(c));

    const topics = new Map(
      c.topics.map((t) => [
        t,
        new gcp.pubsub.Topic(`topic-${t}`, {
          name: gcpName(args.environment, t),
          messageRetentionDuration: c.messageRetention,
          labels: { 'strata-environment': args.environment },
          project,
        }),
      ]),
    );
    const runtimeAccount = new gcp.serviceaccount.Account('functions-sa', {
      accountId: gcpName(args.environment.slice(0, 19), 'functions'),
      displayName: `Strata ${args.environment} functions`,
      project,
    });
    const runtimeMember = pulumi.interpolate`serviceAccount:${runtimeAccount.email}`;
    if (c.functions.length > 0) {
      // The account's own project (the provider's when `project` is unset) is where it is granted.
      const grant = (role: string) =>
        new gcp.projects.IAMMember(
          `functions-sa-${role.replace(/^roles\//, '').replace(/\./g, '-')}`,
          {
            project: runtimeAccount.project,
            role,
            member: runtimeMember,
          },
        );
      // Functions read and write the Firestore database they are handed (FIRESTORE_DATABASE).
      // Document access has no scope narrower than the project short of IAM conditions.
      grant('roles/datastore.user');
      // Eventarc delivers Pub/Sub and Firestore events under this account's identity.
      if (c.functions.some((f) => f.trigger !== 'http')) grant('roles/eventarc.eventReceiver');
      // Functions publish to this layer's topics (TOPIC_* variables) and to no other: the
      // binding sits on each topic, not the project. No subscriber role: Eventarc pushes
      // messages to the functions, nothing here pulls from a subscription.
      for (const [t, topic] of topics) {
        new gcp.pubsub.TopicIAMMember(`topic-${t}-publisher`, {
          topic: topic.name,
          role: 'roles/pubsub.publisher',
          member: runtimeMember,
          project,
        });
      }
    }
    const suffix = new random.RandomId('source-suffix', { byteLength: 3 });
    const sourceBucket = new gcp.storage.Bucket('sources', {
      name: pulumi.interpolate`${gcpName(args.environment, 'fn-src')}-${suffix.hex}`,
      location: c.region,
      uniformBucketLevelAccess: true,
      publicAccessPrevention: 'enforced',
      versioning: { enabled: true },
      forceDestroy: true,
      project,
    });
    const firestoreDatabase =
      optionalDependencyOutput(args, 'data', 'firestoreDatabase') ??
      pulumi.output(c.firestoreDatabase);
    const environment: Record<string, pulumi.Input<string>> = {
      STRATA_ENVIRONMENT: args.environment,
      FIRESTORE_DATABASE: firestoreDatabase,
    };
    for (const [t, topic] of topics) {
      environment[`TOPIC_${t.toUpperCase().replace(/-/g, '_')}`] = topic.name;
    }
    const functions = new Map(
      c.functions.map((f) => [
        f.name,
        new GcpFunction(f.name, {
          functionName: gcpName(args.environment, f.name),
          region: c.region,
          project,
          runtime: f.runtime,
          entryPoint: f.entryPoint,
          memory: f.memory,
          timeoutSeconds: f.timeoutSeconds,
          maxInstances: f.maxInstances,
          trigger: f.trigger,
          topic: f.topic ? topics.get(f.topic)?.id : undefined,
          firestoreDatabase,
          firestoreDocument: f.firestoreDocument,
          firestoreLocation: c.firestoreLocation,
          source:
            f.sourceBucket && f.sourceObject
              ? { bucket: f.sourceBucket, object: f.sourceObject }
              : undefined,
          sourceBucket: sourceBucket.name,
          serviceAccountEmail: runtimeAccount.email,
          environment,
        }),
      ]),
    );
    // Event triggers and schedules invoke the function's Cloud Run service as this account.
    for (const [name, fn] of functions) {
      new gcp.cloudrunv2.ServiceIamMember(`${name}-invoker`, {
        name: fn.function.name,
        location: c.region,
        role: 'roles/run.invoker',
        member: runtimeMember,
        project,
      });
    }
    for (const s of c.schedules) {
      const fn = s.function ? functions.get(s.function) : undefined;
      const topic = s.topic ? topics.get(s.topic) : undefined;
      new gcp.cloudscheduler.Job(`schedule-${s.name}`, {
        name: gcpName(args.environment, s.name),
        region: c.region,
        schedule: s.schedule,
        timeZone: s.timeZone,
        paused: c.paused,
        attemptDeadline: fn ? '1800s' : undefined,
        retryConfig: { retryCount: 3 },
        httpTarget: fn
          ? {
              httpMethod: 'POST',
              uri: fn.function.url,
              oidcToken: { serviceAccountEmail: runtimeAccount.email },
            }
          : undefined,
        pubsubTarget: topic
          ? {
              topicName: topic.id,
              data: Buffer.from(JSON.stringify({ schedule: s.name })).toString('base64'),
            }
          : undefined,
        project,
      });
    }
    return {
      functionUrls: pulumi
        .all([...functions].map(([n, f]) => f.function.url.apply((u) => `${n}=${u ?? ''}`)))
        .apply((pairs) => pairs.join(',')),
      topics: pulumi.all([...topics.values()].map((t) => t.name)).apply((n) => n.join(',')),
    };
  },
});
