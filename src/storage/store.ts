// The ObjectStore facade: wires the operations of this directory to one context.
import * as buckets from './buckets.ts';
import type { StoreContext } from './context.ts';
import { listObjects, walkObjects } from './list.ts';
import type { Maintenance } from './maintenance.ts';
import type { Reaper } from './reaper.ts';
import * as multipart from './multipart.ts';
import * as objects from './objects.ts';
import { readSystem, writeSystem } from './system-docs.ts';
import { StorageError, type BucketInfo, type BucketMeta, type BucketName, type ByteRange, type CompletePart, type GetResult, type HealCounters, type ListOptions, type ListPartsResult, type ListResult, type ListUploadsResult, type ObjectInfo, type ObjectKey, type ObjectStore, type PartInfo, type PutOptions, type StorageInfo, type UploadId, type UploadInfo, type BeforeCommitResult } from './types.ts';

export class ErasureObjectStore implements ObjectStore {
  constructor(private readonly ctx: StoreContext, private readonly upkeep: Maintenance, private readonly reaper: Reaper) {}

  makeBucket(bucket: BucketName, settings?: Record<string, string>): Promise<void> { return buckets.makeBucket(this.ctx, bucket, settings); }
  headBucket(bucket: BucketName): Promise<BucketInfo> { return buckets.headBucket(this.ctx, bucket); }
  listBuckets(): Promise<BucketInfo[]> { return buckets.listBuckets(this.ctx); }
  async getBucketMeta(bucket: BucketName): Promise<BucketMeta> { return (await buckets.requireBucket(this.ctx, bucket)).meta; }
  putBucketSetting(bucket: BucketName, name: string, value: string | null): Promise<void> { return buckets.putBucketSetting(this.ctx, bucket, name, value); }

  async deleteBucket(bucket: BucketName): Promise<void> {
    await this.ctx.bucketLocks.run(bucket, async () => {
      await buckets.requireBucket(this.ctx, bucket);
      const page = await listObjects(this.ctx, bucket, { prefix: '', delimiter: '', marker: '', maxKeys: 1 });
      if (page.objects.length > 0) throw new StorageError('BucketNotEmpty');
      await buckets.removeBucket(this.ctx, bucket);
    });
  }

  put(bucket: BucketName, key: ObjectKey, body: ReadableStream<Uint8Array>, opts: PutOptions): Promise<ObjectInfo> { return objects.putObject(this.ctx, bucket, key, body, opts); }
  get(bucket: BucketName, key: ObjectKey, range?: ByteRange): Promise<GetResult> { return objects.getObject(this.ctx, bucket, key, range); }
  head(bucket: BucketName, key: ObjectKey): Promise<ObjectInfo> { return objects.headObject(this.ctx, bucket, key); }
  delete(bucket: BucketName, key: ObjectKey): Promise<void> { return objects.deleteObject(this.ctx, bucket, key); }
  updateMeta(bucket: BucketName, key: ObjectKey, mutate: (info: ObjectInfo) => { userMeta: Record<string, string>; internal: Record<string, string>; parts?: PartInfo[] }): Promise<ObjectInfo> {
    return objects.updateObjectMeta(this.ctx, bucket, key, mutate);
  }

  async list(bucket: BucketName, opts: ListOptions): Promise<ListResult> {
    await buckets.requireBucket(this.ctx, bucket);
    return listObjects(this.ctx, bucket, { ...opts, maxKeys: Math.min(Math.max(0, opts.maxKeys), 1000) });
  }

  async *walk(bucket?: BucketName): AsyncIterable<ObjectInfo> {
    const names = bucket === undefined ? (await this.listBuckets()).map((b) => b.name) : [bucket];
    if (bucket !== undefined) await buckets.requireBucket(this.ctx, bucket);
    for (const name of names) yield* walkObjects(this.ctx, name);
  }

  createUpload(bucket: BucketName, key: ObjectKey, meta: { userMeta: Record<string, string>; internal: Record<string, string> }): Promise<UploadId> { return multipart.createUpload(this.ctx, bucket, key, meta); }
  getUpload(bucket: BucketName, key: ObjectKey, uploadId: UploadId): Promise<UploadInfo> { return multipart.getUpload(this.ctx, bucket, key, uploadId); }
  putPart(bucket: BucketName, key: ObjectKey, uploadId: UploadId, partNumber: number, body: ReadableStream<Uint8Array>, opts: Omit<PutOptions, 'userMeta' | 'precondition'>): Promise<PartInfo> {
    return multipart.putPart(this.ctx, bucket, key, uploadId, partNumber, body, opts);
  }
  listParts(bucket: BucketName, key: ObjectKey, uploadId: UploadId, partNumberMarker: number, maxParts: number): Promise<ListPartsResult> {
    return multipart.listParts(this.ctx, bucket, key, uploadId, partNumberMarker, maxParts);
  }
  listUploads(bucket: BucketName, opts: { prefix: string; keyMarker: string; uploadIdMarker: string; maxUploads: number }): Promise<ListUploadsResult> { return multipart.listUploads(this.ctx, bucket, opts); }
  abortUpload(bucket: BucketName, key: ObjectKey, uploadId: UploadId): Promise<void> { return multipart.abortUpload(this.ctx, bucket, key, uploadId); }
  completeUpload(bucket: BucketName, key: ObjectKey, uploadId: UploadId, parts: CompletePart[], opts: { precondition?: (current: ObjectInfo | null) => void; beforeCommit?: (parts: PartInfo[], etag: string) => Promise<BeforeCommitResult> | BeforeCommitResult }): Promise<ObjectInfo> {
    return multipart.completeUpload(this.ctx, bucket, key, uploadId, parts, opts);
  }

  readSystem(name: string): Promise<Uint8Array | null> { return readSystem(this.ctx, name); }
  writeSystem(name: string, data: Uint8Array): Promise<void> { return writeSystem(this.ctx, name, data); }

  heal(bucket: BucketName, key: ObjectKey): Promise<{ healedShards: number }> { return this.upkeep.healOne(bucket, key, true); }
  healAll(): Promise<void> { return this.upkeep.healAll(true); }
  healCounters(): HealCounters { return { ...this.ctx.counters }; }

  async info(): Promise<StorageInfo> {
    const drives = await Promise.all(this.ctx.drives.map(async (d) => ({ index: d.index, path: d.root, state: d.state, errors: d.errors, ...(await d.space()) })));
    return {
      deploymentId: this.ctx.deploymentId,
      dataShards: this.ctx.erasure.dataShards,
      parityShards: this.ctx.erasure.parityShards,
      blockSizeBytes: this.ctx.blockSizeBytes,
      writeQuorum: this.ctx.writeQuorum,
      readQuorum: this.ctx.readQuorum,
      drives,
    };
  }

  async close(): Promise<void> {
    await this.upkeep.close();
    this.reaper.close();
  }
}
