import * as hcloud from '@pulumi/hcloud';
import * as pulumi from '@pulumi/pulumi';
import { hcloudId } from '../lib/ids';

export interface HcloudNodeArgs {
  serverName: string;
  serverType: string;
  image: string;
  location: string;
  placementGroupId?: pulumi.Input<number>;
  networkId: pulumi.Input<number>;
  privateIp: pulumi.Input<string>;
  firewallIds: pulumi.Input<number>[];
  publicIpv4: boolean;
  /** A reserved primary IPv4 to use instead of a fresh one. */
  primaryIpId?: pulumi.Input<number | undefined>;
  /** cloud-init; a function when it needs the volume (e.g. its device path). */
  userData: pulumi.Input<string> | ((volume: hcloud.Volume) => pulumi.Input<string>);
  sshKeys: string[];
  volumeSize: number;
  /** Let Hetzner mount the volume under /mnt; off when cloud-init mounts it itself. */
  automount?: boolean;
  backups: boolean;
  deleteProtection: boolean;
  labels: Record<string, string>;
}

/** One Hetzner server with its own volume and a fixed address on the private network. */
export class HcloudNode extends pulumi.ComponentResource {
  readonly server: hcloud.Server;
  readonly volume: hcloud.Volume;
  readonly privateIp: pulumi.Output<string>;

  constructor(name: string, args: HcloudNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super('strata:hcloud:Node', name, {}, opts);
    this.volume = new hcloud.Volume(
      `${name}-volume`,
      {
        name: `${args.serverName}-data`,
        location: args.location,
        size: args.volumeSize,
        format: 'ext4',
        deleteProtection: args.deleteProtection,
        labels: args.labels,
      },
      { parent: this },
    );
    this.server = new hcloud.Server(
      `${name}-server`,
      {
        name: args.serverName,
        serverType: args.serverType,
        image: args.image,
        location: args.location,
        placementGroupId: args.placementGroupId,
        networks: [{ networkId: args.networkId, ip: args.privateIp }],
        publicNets: [
          {
            ipv4Enabled: args.publicIpv4,
            ipv4: args.publicIpv4 ? args.primaryIpId : undefined,
            // IPv6 is free and keeps outbound package installs working without IPv4.
            ipv6Enabled: true,
          },
        ],
        firewallIds: args.firewallIds,
        userData: typeof args.userData === 'function' ? args.userData(this.volume) : args.userData,
        sshKeys: args.sshKeys,
        backups: args.backups,
        // Hetzner requires both protections to be set together.
        deleteProtection: args.deleteProtection,
        rebuildProtection: args.deleteProtection,
        labels: args.labels,
      },
      // The user data is read at first boot only; changing it must not replace a node.
      { parent: this, ignoreChanges: ['userData'] },
    );
    new hcloud.VolumeAttachment(
      `${name}-attachment`,
      {
        serverId: hcloudId(this.server.id),
        volumeId: hcloudId(this.volume.id),
        automount: args.automount ?? true,
      },
      { parent: this },
    );
    this.privateIp = pulumi.output(args.privateIp);
    this.registerOutputs({
      server: this.server.id,
      volume: this.volume.id,
      privateIp: this.privateIp,
    });
  }
}
