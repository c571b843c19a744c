/**
 * Every use of the Pulumi SDK's internals, in one place: what the SDK does not offer publicly
 * but the offline plan and previews need. Each was checked against PULUMI_SDK_CHECKED; the
 * test beside this file fails when the installed SDK is another version or an internal changed
 * shape, so an upgrade looks here first. The engine process's uses of the Automation API's
 * internals (fewer CLI calls per operation) are in workers/engine/lean-stack.ts, tested beside it.
 */
import * as pulumi from '@pulumi/pulumi';

/** The @pulumi/pulumi version whose internals this file was checked against. */
export const PULUMI_SDK_CHECKED = '3.259.0';

/**
 * How the SDK marks a secret in serialized resource inputs (runtime/rpc's specialSigKey and
 * specialSecretSig). The offline plan reads inputs as the mock monitor receives them, already
 * serialized, and must recognise secrets there to mask them; the SDK exports no test for it.
 */
const SIG_KEY = '4dabf18193072939515e22adb298388d';
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';

export function isSerializedSecret(value: unknown): boolean {
  return (
    value !== null &&
    typeof value === 'object' &&
    (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG
  );
}

type OutputConstructor = new <T>(
  resources: Set<pulumi.Resource>,
  promise: Promise<T>,
  isKnown: Promise<boolean>,
  isSecret: Promise<boolean>,
  allResources: Promise<Set<pulumi.Resource>>,
) => pulumi.Output<T>;

/**
 * An Output whose value is not known, as the engine gives for values a preview cannot compute:
 * a preview reads a dependency not deployed yet as one. The SDK has no public factory for
 * it; its Output class takes these five arguments.
 */
export function unknownOutput<T>(): pulumi.Output<T> {
  const Output = pulumi.Output as unknown as OutputConstructor;
  return new Output<T>(
    new Set(),
    Promise.resolve(undefined as T),
    Promise.resolve(false),
    Promise.resolve(false),
    Promise.resolve(new Set()),
  );
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}

interface MockMonitor {
  registerResource(request: unknown, callback: unknown): unknown;
}

/** The SDK's runtime settings module: the monitor and waitForRPCs are absent from its typings. */
interface RuntimeSettingsModule {
  getMonitor(): MockMonitor;
  waitForRPCs(): Promise<void>;
}

function runtimeSettings(): RuntimeSettingsModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@pulumi/pulumi/runtime/settings') as RuntimeSettingsModule;
}

/**
 * Calls `onRegister` with every resource a program registers under `pulumi.runtime.setMocks`,
 * its inputs serialized as the engine would receive them. Mocks' newResource sees inputs
 * after secrets were unwrapped; only the monitor's request still says which were secret, so
 * the plan patches the mock monitor. Call after setMocks.
 */
export function onRegisterUnderMocks(
  onRegister: (type: string, name: string, inputs: Record<string, unknown>) => void,
): void {
  const monitor = runtimeSettings().getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request: unknown, callback: unknown) => {
    const registered = request as RegisterRequest;
    onRegister(
      registered.getType(),
      registered.getName(),
      registered.getObject()?.toJavaScript() ?? {},
    );
    return register(request, callback);
  };
}

/**
 * Waits until every resource registration a program started has reached the monitor: a
 * program's promise resolves before its registrations do, and the next layer of a plan must
 * not start before the last one's resources are recorded.
 */
export function waitForRegistrations(): Promise<void> {
  return runtimeSettings().waitForRPCs();
}
