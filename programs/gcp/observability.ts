import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { Type } from '@sinclair/typebox';
import { defineLayer } from '../lib/types';
import { gcpCommon, gcpName } from './common';

const UptimeCheck = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9-]{0,40}$', description: 'Check name.' }),
    host: Type.String({
      pattern: '^[A-Za-z0-9.-]+$',
      description: 'Host name to probe over HTTPS.',
    }),
    path: Type.String({ pattern: '^/', default: '/', description: 'Path to probe.' }),
  },
  { additionalProperties: false },
);

export const gcpObservability = defineLayer({
  target: 'gcp',
  layer: 'observability',
  description:
    "Cloud Monitoring: an e-mail notification channel, HTTPS uptime checks (plus one on the compute layer's service URL) each with an alert, and alert policies on Cloud Run 5xx responses and Cloud Functions errors.",
  config: Type.Object(
    {
      ...gcpCommon,
      notificationEmail: Type.Optional(
        Type.String({
          pattern: '^[^@\\s]+@[^@\\s.]+(\\.[^@\\s.]+)+$',
          description: 'Where alerts go.',
        }),
      ),
      uptimeChecks: Type.Array(UptimeCheck, {
        default: [],
        maxItems: 20,
        description: 'Extra HTTPS endpoints to probe.',
      }),
      checkPeriod: Type.Union(
        [Type.Literal('60s'), Type.Literal('300s'), Type.Literal('600s'), Type.Literal('900s')],
        {
          default: '300s',
          description: 'How often uptime checks run.',
        },
      ),
      errorRateThreshold: Type.Number({
        minimum: 0,
        maximum: 1000,
        default: 1,
        description: '5xx (and function error) responses per second that raise an alert.',
      }),
    },
    { additionalProperties: false },
  ),
  presets: { prod: { checkPeriod: '60s' } },
  outputs: [
    { name: 'notificationChannel', env: 'ALERT_CHANNEL', description: 'Notification channel ID.' },
    {
      name: 'uptimeChecks',
      env: 'UPTIME_CHECKS',
      description: 'Uptime check IDs, comma-separated.',
    },
  ],
  program: (args) => async () => {
    const c = args.config;
    const project = c.project;
    const channels: pulumi.Output<string>[] = [];
    let channelId: pulumi.Output<string> | string = '';
    if (c.notificationEmail) {
      const channel = new gcp.monitoring.NotificationChannel('email', {
        displayName: `${args.environment} alerts`,
        type: 'email',
        labels: { email_address: c.notificationEmail },
        project,
      });
      channels.push(channel.id);
      channelId = channel.id;
    }
    const targets: { name: string; host: pulumi.Input<string>; path: string }[] = [
      ...c.uptimeChecks,
    ];
    // Only a URL the compute layer really reported gets a check (GKE mode has none).
    const serviceUrl = args.inputs.compute?.url?.value;
    if (typeof serviceUrl === 'string' && /^https?:\/\//.test(serviceUrl)) {
      targets.push({ name: 'service', host: new URL(serviceUrl).host, path: '/' });
    }
    const checks = targets.map((t) => {
      const check = new gcp.monitoring.UptimeCheckConfig(`uptime-${t.name}`, {
        displayName: gcpName(args.environment, t.name),
        timeout: '10s',
        period: c.checkPeriod,
        httpCheck: { path: t.path, port: 443, useSsl: true, validateSsl: true },
        monitoredResource: {
          type: 'uptime_url',
          labels: { host: t.host, project_id: project ?? '' },
        },
        project,
      });
      new gcp.monitoring.AlertPolicy(`uptime-${t.name}-alert`, {
        displayName: `${args.environment} ${t.name} down`,
        combiner: 'OR',
        notificationChannels: channels,
        conditions: [
          {
            displayName: `${t.name} uptime check failing`,
            conditionThreshold: {
              filter: pulumi.interpolate`metric.type="monitoring.googleapis.com/uptime_check/check_passed" AND resource.type="uptime_url" AND metric.label.check_id="${check.uptimeCheckId}"`,
              comparison: 'COMPARISON_GT',
              thresholdValue: 1,
              duration: '300s',
              aggregations: [
                {
                  alignmentPeriod: '1200s',
                  perSeriesAligner: 'ALIGN_NEXT_OLDER',
                  crossSeriesReducer: 'REDUCE_COUNT_FALSE',
                  groupByFields: ['resource.label.*'],
                },
              ],
            },
          },
        ],
        project,
      });
      return check;
    });
    const rateAlert = (key: string, title: string, filter: string) =>
      new gcp.monitoring.AlertPolicy(key, {
        displayName: `${args.environment} ${title}`,
        combiner: 'OR',
        notificationChannels: channels,
        conditions: [
          {
            displayName: title,
            conditionThreshold: {
              filter,
              comparison: 'COMPARISON_GT',
              thresholdValue: c.errorRateThreshold,
              duration: '300s',
              aggregations: [
                {
                  alignmentPeriod: '60s',
                  perSeriesAligner: 'ALIGN_RATE',
                  crossSeriesReducer: 'REDUCE_SUM',
                },
              ],
            },
          },
        ],
        project,
      });
    rateAlert(
      'cloud-run-5xx',
      'Cloud Run 5xx responses',
      'metric.type="run.googleapis.com/request_count" AND resource.type="cloud_run_revision" AND metric.label.response_code_class="5xx"',
    );
    rateAlert(
      'function-errors',
      'Cloud Functions errors',
      'metric.type="cloudfunctions.googleapis.com/function/execution_count" AND resource.type="cloud_function" AND metric.label.status!="ok"',
    );
    return {
      notificationChannel: channelId,
      uptimeChecks: pulumi.all(checks.map((ch) => ch.uptimeCheckId)).apply((ids) => ids.join(',')),
    };
  },
});
