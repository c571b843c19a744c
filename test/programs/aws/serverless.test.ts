import assert from 'node:assert/strict';
import { test } from 'node:test';
import { awsNetwork } from '../../../programs/aws/network';
import { awsServerless } from '../../../programs/aws/serverless';
import { resolveLayerConfig } from '../../../programs/lib/config';
import { planLayers, type PlannedLayer } from '../../../catalogue/offline-plan';
import { refused } from '../../helpers/config-errors';
import { ofType } from '../../helpers/plans';

const PY = 'def handler(event, context):\n    return {"statusCode": 200}\n';

async function plan(config: Record<string, unknown>, withNetwork = false) {
  const layers: PlannedLayer[] = [
    {
      layer: 'serverless',
      definition: awsServerless,
      config: resolveLayerConfig(awsServerless, 'dev', config),
    },
  ];
  if (withNetwork) {
    layers.unshift({
      layer: 'network',
      definition: awsNetwork,
      config: resolveLayerConfig(awsNetwork, 'dev', {}),
    });
  }
  return planLayers('fn', 'dev', layers);
}

test('function URL exposure: each function from inline code, its own role and log group, IAM auth by default', async () => {
  const { resources, outputs } = await plan({
    functions: [
      { name: 'hello' },
      { name: 'report', runtime: 'python3.13', handler: 'main.handler', code: PY, memoryMb: 512 },
    ],
  });
  const functions = ofType(resources, 'aws:lambda/function:Function');
  assert.deepEqual(
    functions.map((f) => [f.inputs.name, f.inputs.runtime, f.inputs.handler, f.inputs.memorySize]),
    [
      ['fn-hello', 'nodejs22.x', 'index.handler', 256],
      ['fn-report', 'python3.13', 'main.handler', 512],
    ],
  );
  const code = functions[1]?.inputs.code as { assets: Record<string, { text: string }> };
  assert.deepEqual(Object.keys(code.assets), ['main.py']);
  assert.equal(code.assets['main.py']?.text, PY);
  assert.deepEqual(
    ofType(resources, 'aws:cloudwatch/logGroup:LogGroup').map((g) => [
      g.inputs.name,
      g.inputs.retentionInDays,
    ]),
    [
      ['/aws/lambda/fn-hello', 7],
      ['/aws/lambda/fn-report', 7],
    ],
  );
  const urls = ofType(resources, 'aws:lambda/functionUrl:FunctionUrl');
  assert.deepEqual(
    urls.map((u) => u.inputs.authorizationType),
    ['AWS_IAM', 'AWS_IAM'],
  );
  assert.equal(ofType(resources, 'aws:apigatewayv2/api:Api').length, 0);
  assert.deepEqual(outputs.serverless?.functionNames?.value, ['fn-hello', 'fn-report']);
});

test('HTTP API exposure: one API routing /<name> to each function, allowed to invoke it', async () => {
  const { resources, outputs } = await plan({
    functions: [{ name: 'hello' }],
    exposure: 'httpApi',
  });
  const [api] = ofType(resources, 'aws:apigatewayv2/api:Api');
  assert.equal(api?.inputs.protocolType, 'HTTP');
  assert.deepEqual(
    ofType(resources, 'aws:apigatewayv2/route:Route').map((r) => r.inputs.routeKey),
    ['ANY /hello', 'ANY /hello/{proxy+}'],
  );
  const [permission] = ofType(resources, 'aws:lambda/permission:Permission');
  assert.equal(permission?.inputs.principal, 'apigateway.amazonaws.com');
  assert.equal(ofType(resources, 'aws:lambda/functionUrl:FunctionUrl').length, 0);
  assert.ok('apiEndpoint' in (outputs.serverless ?? {}));
});

test('VPC access puts functions in the private subnets with the app security group', async () => {
  const { resources, outputs } = await plan(
    { functions: [{ name: 'hello' }], vpcAccess: true },
    true,
  );
  const [fn] = ofType(resources, 'aws:lambda/function:Function');
  assert.deepEqual(fn?.inputs.vpcConfig, {
    subnetIds: outputs.network?.privateSubnetIds?.value,
    securityGroupIds: ['fn-app-id'],
  });
  const [attachment] = ofType(resources, 'aws:iam/rolePolicyAttachment:RolePolicyAttachment');
  assert.match(String(attachment?.inputs.policyArn), /AWSLambdaVPCAccessExecutionRole/);
  await assert.rejects(plan({ functions: [{ name: 'hello' }], vpcAccess: true }), /network layer/);
});

test('two functions with one name are an error naming the field', async () => {
  await assert.rejects(plan({ functions: [{ name: 'a' }, { name: 'a' }] }), /functions\[1\]\.name/);
});

test('bad serverless config is refused, naming the field', () => {
  refused(
    awsServerless,
    { functions: [{ name: 'a', memoryMb: 64 }] },
    'layers.serverless.config.functions[0].memoryMb',
  );
  refused(
    awsServerless,
    { functions: [{ name: 'a', runtime: 'nodejs14.x' }] },
    'layers.serverless.config.functions[0].runtime',
  );
  refused(
    awsServerless,
    { functions: [{ name: 'a', timeoutSeconds: 901 }] },
    'layers.serverless.config.functions[0].timeoutSeconds',
  );
  refused(
    awsServerless,
    { functions: [{ name: 'Bad Name' }] },
    'layers.serverless.config.functions[0].name',
  );
  refused(awsServerless, { exposure: 'alb' }, 'layers.serverless.config.exposure');
  refused(awsServerless, { schedule: 'daily' }, 'layers.serverless.config.schedule');
});
