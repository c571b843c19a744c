import { useEffect, useState } from 'preact/hooks';
import {
  api,
  ApiError,
  type Blueprint,
  type Deployment,
  type Environment,
  type JsonSchema,
  type Target,
} from '../api';
import { html, navigate } from '../html';

const LAYER_ORDER = ['network', 'data', 'storage', 'compute', 'serverless', 'observability'];

interface LayerChoice {
  enabled: boolean;
  target: string;
  config: Record<string, string | boolean>;
}

/** Which form field an API message is about: `body.layers.data.config.size must …` → that field. */
export function fieldOf(issue: string, fields: string[]): string | undefined {
  const path = issue.replace(/^body\.?/, '').split(/[\s:]/)[0] ?? '';
  const matches = fields.filter(
    (f) => path === f || path.startsWith(`${f}.`) || (f === '' && path === ''),
  );
  return matches.sort((a, b) => b.length - a.length)[0];
}

function kind(schema: JsonSchema): string {
  if (schema.enum) return 'enum';
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  return type ?? 'json';
}

function convert(schema: JsonSchema, raw: string | boolean): unknown {
  if (typeof raw === 'boolean') return raw;
  const k = kind(schema);
  if (k === 'integer' || k === 'number') return raw.trim() === '' ? undefined : Number(raw);
  if (k === 'object' || k === 'array' || k === 'json') {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw === '' ? undefined : raw;
}

function ConfigField(props: {
  id: string;
  name: string;
  schema: JsonSchema;
  value: string | boolean | undefined;
  error?: string;
  onChange: (value: string | boolean) => void;
}) {
  const { id, name, schema, value, error, onChange } = props;
  const k = kind(schema);
  const input = (e: Event) => onChange((e.target as HTMLInputElement).value);
  const placeholder = schema.default === undefined ? '' : JSON.stringify(schema.default);
  let control;
  if (k === 'boolean') {
    control = html`<input
      id=${id}
      name=${id}
      type="checkbox"
      checked=${value === true}
      onChange=${(e: Event) => onChange((e.target as HTMLInputElement).checked)}
    />`;
  } else if (k === 'enum') {
    control = html`<select id=${id} name=${id} value=${String(value ?? '')} onChange=${input}>
      <option value="">default${placeholder ? ` (${placeholder})` : ''}</option>
      ${(schema.enum ?? []).map((v) => html`<option value=${String(v)}>${String(v)}</option>`)}
    </select>`;
  } else if (k === 'object' || k === 'array') {
    control = html`<textarea
      id=${id}
      name=${id}
      rows="2"
      placeholder=${placeholder}
      onInput=${input}
    >
${String(value ?? '')}</textarea>`;
  } else {
    control = html`<input
      id=${id}
      name=${id}
      type=${k === 'integer' || k === 'number' ? 'number' : 'text'}
      placeholder=${placeholder}
      value=${String(value ?? '')}
      onInput=${input}
    />`;
  }
  return html`<div class=${`field ${error ? 'has-error' : ''}`}>
    <label for=${id}>${name}</label>
    ${control} ${schema.description && html`<small class="muted">${schema.description}</small>`}
    ${error && html`<small class="field-error" role="alert">${error}</small>`}
  </div>`;
}

export function CreatePage() {
  const [targets, setTargets] = useState<Target[]>([]);
  const [blueprints, setBlueprints] = useState<Blueprint[]>([]);
  const [name, setName] = useState('');
  const [stage, setStage] = useState('dev');
  const [mode, setMode] = useState<'layers' | 'blueprint'>('layers');
  const [blueprint, setBlueprint] = useState('');
  const [layers, setLayers] = useState<Record<string, LayerChoice>>({});
  const [ttl, setTtl] = useState('');
  const [approval, setApproval] = useState('default');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void api<{ targets: Target[] }>('/v1/targets').then((r) => setTargets(r.targets));
    void api<{ blueprints: Blueprint[] }>('/v1/blueprints').then((r) =>
      setBlueprints(r.blueprints),
    );
  }, []);

  const targetsFor = (layer: string) =>
    targets.filter((t) => t.layers.some((l) => l.layer === layer)).map((t) => t.name);
  const schemaOf = (target: string, layer: string): JsonSchema | undefined =>
    targets.find((t) => t.name === target)?.layers.find((l) => l.layer === layer)?.config;
  const choice = (layer: string): LayerChoice =>
    layers[layer] ?? {
      enabled: false,
      target: targetsFor(layer).includes('local') ? 'local' : (targetsFor(layer)[0] ?? ''),
      config: {},
    };
  const update = (layer: string, change: Partial<LayerChoice>) =>
    setLayers({ ...layers, [layer]: { ...choice(layer), ...change } });

  const body = () => {
    const picked: Record<string, { target: string; config?: Record<string, unknown> }> = {};
    for (const layer of LAYER_ORDER) {
      const c = layers[layer];
      if (!c?.enabled) continue;
      const schema = schemaOf(c.target, layer);
      const config: Record<string, unknown> = {};
      for (const [key, raw] of Object.entries(c.config)) {
        const value = convert(schema?.properties?.[key] ?? {}, raw);
        if (value !== undefined) config[key] = value;
      }
      picked[layer] =
        Object.keys(config).length > 0 ? { target: c.target, config } : { target: c.target };
    }
    return {
      name,
      stage,
      ...(mode === 'blueprint' && blueprint ? { blueprint } : {}),
      ...(Object.keys(picked).length > 0 ? { layers: picked } : {}),
      ...(ttl ? { ttl } : {}),
      ...(approval === 'default' ? {} : { requireApproval: approval === 'yes' }),
    };
  };

  const fieldKeys = (): string[] => {
    const keys = ['name', 'stage', 'blueprint', 'ttl', 'requireApproval', 'layers'];
    for (const layer of LAYER_ORDER) {
      keys.push(`layers.${layer}`, `layers.${layer}.target`);
      const c = layers[layer];
      const props = c ? (schemaOf(c.target, layer)?.properties ?? {}) : {};
      for (const key of Object.keys(props)) keys.push(`layers.${layer}.config.${key}`);
    }
    return keys;
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      const created = await api<{ environment: Environment; deployment: Deployment }>(
        '/v1/environments',
        { method: 'POST', json: body() },
      );
      navigate(`#/deployments/${created.deployment.id}`);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 400 || e.status === 409)) {
        const found: Record<string, string> = {};
        const keys = fieldKeys();
        for (const issue of e.message.split('; ')) {
          const key = (e.status === 409 ? 'name' : fieldOf(issue, keys)) ?? '_';
          found[key] = found[key] ? `${found[key]}; ${issue}` : issue;
        }
        setErrors(found);
      } else {
        setErrors({ _: e instanceof Error ? e.message : String(e) });
      }
    } finally {
      setBusy(false);
    }
  };

  const err = (key: string) =>
    errors[key] && html`<small class="field-error" role="alert">${errors[key]}</small>`;
  const chosen = blueprints.find((b) => b.name === blueprint);

  return html`<main>
    <h1>New environment</h1>
    <form class="card form" onSubmit=${submit} aria-label="New environment" novalidate>
      <div class=${`field ${errors.name ? 'has-error' : ''}`}>
        <label for="name">Name</label>
        <input
          id="name"
          name="name"
          placeholder="pr-142"
          value=${name}
          onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)}
        />
        <small class="muted">lowercase letters, digits and "-", 3 to 40 characters</small>
        ${err('name')}
      </div>
      <div class=${`field ${errors.stage ? 'has-error' : ''}`}>
        <label for="stage">Stage</label>
        <select
          id="stage"
          name="stage"
          value=${stage}
          onChange=${(e: Event) => setStage((e.target as HTMLSelectElement).value)}
        >
          <option value="dev">dev</option>
          <option value="staging">staging</option>
          <option value="prod">prod</option>
        </select>
        ${err('stage')}
      </div>
      <fieldset class="mode">
        <legend>Layers</legend>
        <label
          ><input
            type="radio"
            name="mode"
            value="layers"
            checked=${mode === 'layers'}
            onChange=${() => setMode('layers')}
          />
          Pick layers</label
        >
        <label
          ><input
            type="radio"
            name="mode"
            value="blueprint"
            checked=${mode === 'blueprint'}
            onChange=${() => setMode('blueprint')}
          />
          From a blueprint</label
        >
      </fieldset>
      ${
        mode === 'blueprint' &&
        html`<div class=${`field ${errors.blueprint ? 'has-error' : ''}`}>
          <label for="blueprint">Blueprint</label>
          <select
            id="blueprint"
            name="blueprint"
            value=${blueprint}
            onChange=${(e: Event) => setBlueprint((e.target as HTMLSelectElement).value)}
          >
            <option value="">choose…</option>
            ${blueprints.map((b) => html`<option value=${b.name}>${b.name} (v${b.version})</option>`)}
          </select>
          ${
            chosen &&
            html`<small class="muted"
              >${chosen.description} —
              ${Object.entries(chosen.layers)
                .map(([l, s]) => `${l} → ${s.target}`)
                .join(', ')}.
              Layers picked below replace the blueprint's.</small
            >`
          }
          ${err('blueprint')}
        </div>`
      }
      ${err('layers')}
      <div class="layer-picker">
        ${LAYER_ORDER.map((layer) => {
          const c = choice(layer);
          const offered = targetsFor(layer);
          const schema = c.enabled ? schemaOf(c.target, layer) : undefined;
          return html`<div class=${`layer-choice ${c.enabled ? 'on' : ''}`} data-layer=${layer}>
            <label class="layer-toggle">
              <input
                type="checkbox"
                name=${`layer-${layer}`}
                checked=${c.enabled}
                onChange=${(e: Event) => update(layer, { enabled: (e.target as HTMLInputElement).checked })}
              />
              ${layer}
            </label>
            ${
              c.enabled &&
              html`<select
                  name=${`target-${layer}`}
                  aria-label=${`${layer} target`}
                  value=${c.target}
                  onChange=${(e: Event) => update(layer, { target: (e.target as HTMLSelectElement).value, config: {} })}
                >
                  ${offered.map((t) => html`<option value=${t}>${t}</option>`)}
                </select>
                ${err(`layers.${layer}`)} ${err(`layers.${layer}.target`)}
                <div class="config">
                  ${Object.entries(schema?.properties ?? {}).map(
                    ([key, prop]) =>
                      html`<${ConfigField}
                        id=${`config-${layer}-${key}`}
                        name=${key}
                        schema=${prop}
                        value=${c.config[key]}
                        error=${errors[`layers.${layer}.config.${key}`]}
                        onChange=${(value: string | boolean) =>
                          update(layer, { config: { ...c.config, [key]: value } })}
                      />`,
                  )}
                </div>`
            }
          </div>`;
        })}
      </div>
      <div class=${`field ${errors.ttl ? 'has-error' : ''}`}>
        <label for="ttl">TTL</label>
        <input
          id="ttl"
          name="ttl"
          placeholder="8h"
          value=${ttl}
          onInput=${(e: Event) => setTtl((e.target as HTMLInputElement).value)}
        />
        <small class="muted"
          >destroyed that long after its last deployment (90s, 15m, 8h, 7d); empty for never</small
        >
        ${err('ttl')}
      </div>
      <div class="field">
        <label for="approval">Approval</label>
        <select
          id="approval"
          name="approval"
          value=${approval}
          onChange=${(e: Event) => setApproval((e.target as HTMLSelectElement).value)}
        >
          <option value="default">stage default (prod needs approval)</option>
          <option value="yes">every up needs approval</option>
          <option value="no">no approval</option>
        </select>
        ${err('requireApproval')}
      </div>
      ${err('_')}
      <div class="actions">
        <button type="submit" class="primary" disabled=${busy}>Create and deploy</button>
        <a class="button" href="#/">Cancel</a>
      </div>
    </form>
  </main>`;
}
