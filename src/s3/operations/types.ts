// Handler shapes: each operation declares the scope it needs, so the dispatcher validates
// the bucket name and key once, at the edge, before any handler runs.
import type { BucketContext, ObjectContext, RequestContext, S3Deps } from '../context.ts';
import type { S3Operation } from '../router.ts';

export type Handler =
  | { scope: 'service'; run(ctx: RequestContext, deps: S3Deps): Promise<Response> }
  | { scope: 'bucket'; run(ctx: BucketContext, deps: S3Deps): Promise<Response> }
  | { scope: 'object'; run(ctx: ObjectContext, deps: S3Deps): Promise<Response> };

export type HandlerTable = Record<S3Operation, Handler>;

export const serviceHandler = (run: (ctx: RequestContext, deps: S3Deps) => Promise<Response>): Handler => ({ scope: 'service', run });
export const bucketHandler = (run: (ctx: BucketContext, deps: S3Deps) => Promise<Response>): Handler => ({ scope: 'bucket', run });
export const objectHandler = (run: (ctx: ObjectContext, deps: S3Deps) => Promise<Response>): Handler => ({ scope: 'object', run });
