import { expect, test } from 'bun:test';
import { bucketNameProblem, toObjectKey } from './names.ts';
import { S3Error } from './errors.ts';

test('bucket names follow the AWS rules', () => {
  for (const ok of ['abc', 'my-bucket', 'my.bucket.1', 'a'.repeat(63), '1bucket']) expect(bucketNameProblem(ok)).toBeUndefined();
  for (const bad of ['ab', 'a'.repeat(64), 'MyBucket', '-abc', 'abc-', 'a..b', 'a.-b', '192.168.1.1', 'xn--abc', 'abc-s3alias', 'a_b', 'cairn', 'abc/']) {
    expect(bucketNameProblem(bad)).toBeString();
  }
});

test('keys are 1 to 1024 UTF-8 bytes', () => {
  expect(toObjectKey('a'.repeat(1024))).toHaveLength(1024);
  expect(() => toObjectKey('é'.repeat(513))).toThrow(S3Error);
  expect(() => toObjectKey('')).toThrow(S3Error);
});
