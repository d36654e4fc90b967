// Drive formats: every drive holds a format file naming the deployment, the
// erasure layout and its own index. Start-up checks them all and formats empty
// drives (a fresh deployment, or a replaced drive that healing will refill).
import { mkdir, readdir } from 'node:fs/promises';
import type { Logger } from '../util/log.ts';
import { Drive, errnoText, isNotFound } from './drive.ts';
import type { Reaper } from './reaper.ts';
import { bucketsDir, formatFile, sysDir, tmpDir } from './paths.ts';

export const formatVersion = 1;

export interface FormatDoc {
  format: 'cairn';
  version: number;
  deploymentId: string;
  driveCount: number;
  dataShards: number;
  parityShards: number;
  blockSizeBytes: number;
  driveIndex: number;
}

export interface OpenedDrives {
  drives: Drive[];
  deploymentId: string;
  dataShards: number;
  parityShards: number;
  blockSizeBytes: number;
  /** Drives that were found empty in an existing deployment and were just formatted. */
  replaced: number[];
}

export class DriveFormatError extends Error {
  override name = 'DriveFormatError';
}

/** MinIO's defaults: 0 parity for 1 drive, 1 for 2-3, 2 for 4-5, 3 for 6-7, 4 for 8-16. */
export function defaultParity(driveCount: number): number {
  if (driveCount <= 1) return 0;
  if (driveCount <= 3) return 1;
  if (driveCount <= 5) return 2;
  if (driveCount <= 7) return 3;
  return 4;
}

/**
 * 'damaged': Cairn's own layout whose format file is unreadable or gone (bitrot, a
 * deleted .cairn.sys). With the other drives' formats to go by, such a drive is left
 * offline, untouched, and the deployment starts degraded; 'foreign' stops start-up.
 */
type Probe = { kind: 'formatted'; doc: FormatDoc } | { kind: 'empty' } | { kind: 'foreign'; why: string } | { kind: 'damaged'; why: string } | { kind: 'offline'; why: string };

async function probe(drive: Drive): Promise<Probe> {
  try {
    await mkdir(drive.root, { recursive: true });
    const bytes = await drive.readFile(formatFile);
    if (bytes === null) {
      const entries = await readdir(drive.root);
      if (entries.length === 0) return { kind: 'empty' };
      return entries.includes(bucketsDir) || entries.includes(sysDir)
        ? { kind: 'damaged', why: 'its format file is missing' }
        : { kind: 'foreign', why: 'not empty and has no Cairn format file' };
    }
    const doc = JSON.parse(new TextDecoder().decode(bytes)) as FormatDoc;
    if (typeof doc !== 'object' || doc === null || doc.format !== 'cairn' || typeof doc.deploymentId !== 'string') return { kind: 'damaged', why: 'its format file is not a Cairn format' };
    if (doc.version !== formatVersion) return { kind: 'foreign', why: `unsupported format version ${String(doc.version)}` };
    return { kind: 'formatted', doc };
  } catch (err) {
    if (err instanceof SyntaxError) return { kind: 'damaged', why: 'its format file is corrupt' };
    return { kind: 'offline', why: isNotFound(err) ? 'missing' : errnoText(err) };
  }
}

export async function openDrives(
  paths: readonly string[],
  parityWanted: number | undefined,
  blockSizeBytes: number,
  fsync: boolean,
  newId: () => string,
  logger: Logger,
  reaper: Reaper,
): Promise<OpenedDrives> {
  const n = paths.length;
  if (n < 1 || n > 16) throw new DriveFormatError(`need 1 to 16 drives, got ${n}`);
  if (new Set(paths).size !== n) throw new DriveFormatError('drive paths must be distinct');
  const parity = parityWanted ?? defaultParity(n);
  if (!Number.isInteger(parity) || parity < 0 || parity > Math.floor(n / 2)) throw new DriveFormatError(`parity ${parity} must be between 0 and ${Math.floor(n / 2)} for ${n} drives`);
  const drives = paths.map((p, i) => new Drive(i, p, fsync, newId, reaper));
  for (const d of drives) {
    d.onOffline = (reason) => logger.error('drive offline: reads and writes go on without it while quorum holds; the drive monitor re-probes it', { drive: d.index, path: d.root, reason });
  }
  const probes = await Promise.all(drives.map(probe));
  const formatted = probes.flatMap((p, i) => (p.kind === 'formatted' ? [{ i, doc: p.doc }] : []));
  probes.forEach((p, i) => {
    if (p.kind === 'foreign') throw new DriveFormatError(`drive ${i} (${paths[i]}): ${p.why}`);
  });
  let layout: Omit<FormatDoc, 'driveIndex'>;
  if (formatted.length === 0) {
    probes.forEach((p, i) => {
      if (p.kind === 'damaged') throw new DriveFormatError(`drive ${i} (${paths[i]}): ${p.why}, and no other drive has one`);
    });
    if (probes.some((p) => p.kind === 'offline')) throw new DriveFormatError('cannot format a new deployment while a drive is unavailable');
    layout = { format: 'cairn', version: formatVersion, deploymentId: newId(), driveCount: n, dataShards: n - parity, parityShards: parity, blockSizeBytes };
  } else {
    const first = formatted[0]!.doc;
    layout = { format: 'cairn', version: formatVersion, deploymentId: first.deploymentId, driveCount: first.driveCount, dataShards: first.dataShards, parityShards: first.parityShards, blockSizeBytes: first.blockSizeBytes };
    for (const { i, doc } of formatted) checkMember(i, paths[i]!, doc, layout, n, parityWanted);
  }
  const replaced: number[] = [];
  await Promise.all(drives.map(async (d, i) => {
    const p = probes[i]!;
    if (p.kind === 'offline') {
      d.state = 'offline';
      logger.warn('drive offline at start', { drive: i, path: d.root, reason: p.why });
      return;
    }
    if (p.kind === 'damaged') {
      // Never written to: it may hold the only copy of something. Emptying it (or restoring
      // its format file) lets the drive monitor format it and healing refill it.
      d.state = 'offline';
      logger.error('drive left offline: its format is damaged; empty the directory to have it reformatted and refilled', { drive: i, path: d.root, reason: p.why });
      return;
    }
    // Temp files of writes cut short by a stop or crash go to the trash, after what is there.
    await d.reapLeftovers();
    await d.discard(tmpDir);
    await d.makeWorkDirs();
    if (p.kind === 'empty') {
      await d.writeAtomic(formatFile, new TextEncoder().encode(JSON.stringify({ ...layout, driveIndex: i })));
      if (formatted.length > 0) {
        replaced.push(i);
        d.state = 'healing';
        logger.warn('empty drive formatted into the deployment; healing will refill it', { drive: i, path: d.root });
      }
    }
  }));
  return { drives, deploymentId: layout.deploymentId, dataShards: layout.dataShards, parityShards: layout.parityShards, blockSizeBytes: layout.blockSizeBytes, replaced };
}

function checkMember(i: number, path: string, doc: FormatDoc, layout: Omit<FormatDoc, 'driveIndex'>, n: number, parityWanted: number | undefined): void {
  const where = `drive ${i} (${path})`;
  if (doc.deploymentId !== layout.deploymentId) throw new DriveFormatError(`${where}: belongs to another deployment (${doc.deploymentId}, expected ${layout.deploymentId})`);
  if (doc.driveCount !== n) throw new DriveFormatError(`${where}: formatted for ${doc.driveCount} drives but ${n} are configured`);
  if (doc.driveIndex !== i) throw new DriveFormatError(`${where}: holds drive index ${doc.driveIndex}; drives must be listed in their original order`);
  if (doc.dataShards !== layout.dataShards || doc.parityShards !== layout.parityShards || doc.blockSizeBytes !== layout.blockSizeBytes) throw new DriveFormatError(`${where}: erasure layout differs from the other drives`);
  if (parityWanted !== undefined && parityWanted !== doc.parityShards) throw new DriveFormatError(`${where}: deployment uses parity ${doc.parityShards}, configured ${parityWanted}`);
}
