#!/usr/bin/env python3
"""boto3 with its default settings against a Cairn endpoint.

Reads CAIRN_ENDPOINT, CAIRN_ACCESS_KEY, CAIRN_SECRET_KEY, CAIRN_REGION and CAIRN_WORK
(a scratch directory) from the environment. Prints one line per check and exits
non-zero on the first mismatch.
"""
import base64
import email.header
import hashlib
import os
import sys
import urllib.error
import urllib.request

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint = os.environ["CAIRN_ENDPOINT"]
work = os.environ["CAIRN_WORK"]


def client(**extra):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=os.environ["CAIRN_ACCESS_KEY"],
        aws_secret_access_key=os.environ["CAIRN_SECRET_KEY"],
        region_name=os.environ.get("CAIRN_REGION", "us-east-1"),
        **extra,
    )


s3 = client()
bucket = "boto3-bucket"


def check(name, actual, expected):
    if actual != expected:
        print(f"FAIL {name}: expected {expected!r}, got {actual!r}")
        sys.exit(1)
    print(f"ok   {name}")


def error_code(fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    return None, 200


def md5_file(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for piece in iter(lambda: f.read(1 << 20), b""):
            h.update(piece)
    return h.hexdigest()


# Buckets
s3.create_bucket(Bucket=bucket)
check("head_bucket", s3.head_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"], 200)
check("list_buckets has bucket", bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]], True)

# Put / get / head with metadata, content headers and ranges
body = bytes(range(256)) * 40  # 10240 bytes
put = s3.put_object(Bucket=bucket, Key="dir/obj.bin", Body=body, ContentType="application/x-test",
                    Metadata={"color": "blue", "mixed-case": "Value"}, CacheControl="max-age=60")
check("put etag", put["ETag"], '"%s"' % hashlib.md5(body).hexdigest())
got = s3.get_object(Bucket=bucket, Key="dir/obj.bin")
check("get body", got["Body"].read(), body)
check("get content-type", got["ContentType"], "application/x-test")
check("get metadata", got["Metadata"], {"color": "blue", "mixed-case": "Value"})
check("get cache-control", got["CacheControl"], "max-age=60")
head = s3.head_object(Bucket=bucket, Key="dir/obj.bin")
check("head length", head["ContentLength"], len(body))
check("head etag", head["ETag"], put["ETag"])
check("head metadata", head["Metadata"], {"color": "blue", "mixed-case": "Value"})
ranged = s3.get_object(Bucket=bucket, Key="dir/obj.bin", Range="bytes=100-299")
check("range status", ranged["ResponseMetadata"]["HTTPStatusCode"], 206)
check("range content-range", ranged["ContentRange"], "bytes 100-299/10240")
check("range body", ranged["Body"].read(), body[100:300])
suffix = s3.get_object(Bucket=bucket, Key="dir/obj.bin", Range="bytes=-10")
check("suffix range body", suffix["Body"].read(), body[-10:])
check("invalid range", error_code(s3.get_object, Bucket=bucket, Key="dir/obj.bin", Range="bytes=20000-"), ("InvalidRange", 416))
# Non-ASCII metadata set as raw headers (botocore refuses it in Metadata=): botocore sends
# and signs it as UTF-8. Text within latin-1 comes back as itself; beyond that, as an
# RFC 2047 word, as S3 answers.
raw_meta = client()
def utf8_meta_header(params, **_):
    params["headers"]["x-amz-meta-city"] = "Zürich"
    params["headers"]["x-amz-meta-price"] = "5 €"
raw_meta.meta.events.register("before-call.s3.PutObject", utf8_meta_header)
raw_meta.put_object(Bucket=bucket, Key="meta-utf8", Body=b"x")
utf8_head = s3.head_object(Bucket=bucket, Key="meta-utf8")["Metadata"]
check("latin-1 range metadata round trip", utf8_head["city"], "Zürich")
check("metadata beyond latin-1 as RFC 2047", utf8_head["price"], "=?UTF-8?B?%s?=" % base64.b64encode("5 €".encode("utf-8")).decode())
check("RFC 2047 word decodes", str(email.header.make_header(email.header.decode_header(utf8_head["price"]))), "5 €")
empty = s3.put_object(Bucket=bucket, Key="empty", Body=b"")
check("zero-byte etag", empty["ETag"], '"d41d8cd98f00b204e9800998ecf8427e"')
check("zero-byte get", s3.get_object(Bucket=bucket, Key="empty")["Body"].read(), b"")

# Listing: paginator and delimiter
keys = [f"page/k{i:02d}" for i in range(7)] + ["page/sub/a", "page/sub/b", "page/other/c"]
for k in keys:
    s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
paginator = s3.get_paginator("list_objects_v2")
seen, pages = [], 0
for page in paginator.paginate(Bucket=bucket, Prefix="page/", PaginationConfig={"PageSize": 3}):
    pages += 1
    seen += [o["Key"] for o in page.get("Contents", [])]
check("paginator keys", seen, sorted(keys))
check("paginator pages", pages, 4)
listed = s3.list_objects_v2(Bucket=bucket, Prefix="page/", Delimiter="/")
check("delimiter contents", [o["Key"] for o in listed["Contents"]], [f"page/k{i:02d}" for i in range(7)])
check("delimiter prefixes", [p["Prefix"] for p in listed["CommonPrefixes"]], ["page/other/", "page/sub/"])
check("delimiter keycount", listed["KeyCount"], 9)
v1 = s3.list_objects(Bucket=bucket, Prefix="page/", MaxKeys=2)
check("v1 truncated", v1["IsTruncated"], True)
v1b = s3.list_objects(Bucket=bucket, Prefix="page/", Marker=v1["Contents"][-1]["Key"], MaxKeys=100)
check("v1 marker continues", [o["Key"] for o in v1["Contents"] + v1b["Contents"]], sorted(keys))
odd = "odd key+with spaces&?=%/ü.txt"
s3.put_object(Bucket=bucket, Key=odd, Body=b"odd")
check("odd key listed", [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="odd ")["Contents"]], [odd])
check("odd key get", s3.get_object(Bucket=bucket, Key=odd)["Body"].read(), b"odd")

# Managed transfer: multipart upload and ranged parallel download
src = os.path.join(work, "big.bin")
with open(src, "wb") as f:
    f.write(os.urandom(13 * 1024 * 1024 + 123))
config = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
s3.upload_file(src, bucket, "big.bin", Config=config)
big_head = s3.head_object(Bucket=bucket, Key="big.bin")
check("multipart etag suffix", big_head["ETag"].endswith('-3"'), True)
check("multipart length", big_head["ContentLength"], os.path.getsize(src))
dst = os.path.join(work, "big.back")
s3.download_file(bucket, "big.bin", dst, Config=config)
check("download md5", md5_file(dst), md5_file(src))

# Copy: metadata copied by default, replaced on request
s3.copy_object(Bucket=bucket, Key="copy.bin", CopySource={"Bucket": bucket, "Key": "dir/obj.bin"})
copied = s3.head_object(Bucket=bucket, Key="copy.bin")
check("copy etag", copied["ETag"], put["ETag"])
check("copy metadata", copied["Metadata"], {"color": "blue", "mixed-case": "Value"})
s3.copy_object(Bucket=bucket, Key="copy2.bin", CopySource={"Bucket": bucket, "Key": "dir/obj.bin"},
               MetadataDirective="REPLACE", Metadata={"new": "yes"}, ContentType="text/plain")
replaced = s3.head_object(Bucket=bucket, Key="copy2.bin")
check("copy replace metadata", replaced["Metadata"], {"new": "yes"})
check("copy replace content-type", replaced["ContentType"], "text/plain")

# Presigned GET fetched without boto3: the default (SigV2 query form with a custom
# endpoint) and SigV4
presigner_v4 = client(config=Config(signature_version="s3v4"))
for label, presigner in (("default", s3), ("s3v4", presigner_v4)):
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "dir/obj.bin"}, ExpiresIn=300)
    try:
        resp = urllib.request.urlopen(url)
    except urllib.error.HTTPError as e:
        print(f"FAIL presigned {label}: HTTP {e.code} {e.read().decode()[:400]}")
        sys.exit(1)
    with resp:
        check(f"presigned {label} status", resp.status, 200)
        check(f"presigned {label} body", resp.read(), body)
url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "odd key+with spaces&?=%/ü.txt"}, ExpiresIn=300)
with urllib.request.urlopen(url) as resp:
    check("presigned default odd key", resp.read(), b"odd")

# Browser-form uploads (PostObject) from generate_presigned_post, in both signature versions
import uuid
def post_form(presigned, data, filename="f.txt"):
    boundary = uuid.uuid4().hex
    body = b""
    for k, v in presigned["fields"].items():
        body += f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode()
    body += f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: text/plain\r\n\r\n".encode() + data + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(presigned["url"], data=body, method="POST", headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()

for label, signer in [("default", s3), ("sigv4", presigner_v4)]:
    form_body = os.urandom(3 * 1024 * 1024 + 17)
    presigned = signer.generate_presigned_post(bucket, f"posted/{label}/${{filename}}", Fields={"success_action_status": "201", "x-amz-meta-origin": "form"},
                                             Conditions=[["starts-with", "$key", f"posted/{label}/"], {"success_action_status": "201"}, {"x-amz-meta-origin": "form"}, ["content-length-range", 1, 4 * 1024 * 1024]])
    status, text = post_form(presigned, form_body, filename="up.bin")
    check(f"post {label} status", status, 201)
    check(f"post {label} response names the key", f"<Key>posted/{label}/up.bin</Key>" in text.decode(), True)
    got = s3.get_object(Bucket=bucket, Key=f"posted/{label}/up.bin")
    check(f"post {label} body", hashlib.md5(got["Body"].read()).hexdigest(), hashlib.md5(form_body).hexdigest())
    check(f"post {label} metadata", got["Metadata"], {"origin": "form"})
    status, text = post_form(presigned, b"x" * (4 * 1024 * 1024 + 1), filename="too-big.bin")
    check(f"post {label} over the length range", (status, b"<Code>EntityTooLarge</Code>" in text), (400, True))
    check(f"post {label} over the length range stored nothing", error_code(s3.head_object, Bucket=bucket, Key=f"posted/{label}/too-big.bin"), ("404", 404))
    tampered = {"url": presigned["url"], "fields": {**presigned["fields"], "key": "elsewhere/${filename}"}}
    status, text = post_form(tampered, b"abc")
    check(f"post {label} key outside the policy", (status, b"<Code>AccessDenied</Code>" in text), (403, True))

# SigV2 header signing (signature_version "s3", what older clients use): calls work, keys
# with odd characters included, and a wrong secret is refused. (Sub-resources are covered by
# the unit tests: some botocore versions sign "?tagging" twice with SigV2.)
v2 = client(config=Config(signature_version="s3"))
v2.meta.events.register("before-call.s3.PutObject", lambda params, **_: params["headers"].__setitem__("x-amz-meta-note", "größe"))
v2.put_object(Bucket=bucket, Key="v2/odd key+&=ü.txt", Body=b"signed v2", ContentType="text/plain", Metadata={"via": "sigv2"})
v2_head = v2.head_object(Bucket=bucket, Key="v2/odd key+&=ü.txt")
check("sigv2 head metadata", v2_head["Metadata"], {"via": "sigv2", "note": "größe"})
check("sigv2 get body", v2.get_object(Bucket=bucket, Key="v2/odd key+&=ü.txt")["Body"].read(), b"signed v2")
check("sigv2 list", [o["Key"] for o in v2.list_objects(Bucket=bucket, Prefix="v2/").get("Contents", [])], ["v2/odd key+&=ü.txt"])
v2.delete_object(Bucket=bucket, Key="v2/odd key+&=ü.txt")
v2_forged = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=os.environ["CAIRN_ACCESS_KEY"], aws_secret_access_key="not-the-secret",
                         region_name=os.environ.get("CAIRN_REGION", "us-east-1"), config=Config(signature_version="s3"))
check("sigv2 wrong secret", error_code(v2_forged.put_object, Bucket=bucket, Key="v2/forged", Body=b"x"), ("SignatureDoesNotMatch", 403))
check("sigv2 wrong secret stored nothing", error_code(s3.head_object, Bucket=bucket, Key="v2/forged"), ("404", 404))

# Errors with exact codes
check("NoSuchKey", error_code(s3.get_object, Bucket=bucket, Key="missing"), ("NoSuchKey", 404))
check("NoSuchBucket", error_code(s3.list_objects_v2, Bucket="no-such-bucket-here"), ("NoSuchBucket", 404))
check("head missing 404", error_code(s3.head_object, Bucket=bucket, Key="missing"), ("404", 404))
check("BucketAlreadyOwnedByYou", error_code(s3.create_bucket, Bucket=bucket)[1] in (200, 409), True)

# SSE-S3
sse = s3.put_object(Bucket=bucket, Key="secret.txt", Body=b"top secret", ServerSideEncryption="AES256")
check("sse put header", sse["ServerSideEncryption"], "AES256")
sse_get = s3.get_object(Bucket=bucket, Key="secret.txt")
check("sse get header", sse_get["ServerSideEncryption"], "AES256")
check("sse get body", sse_get["Body"].read(), b"top secret")

# Delete many, then the bucket
all_keys = []
for page in paginator.paginate(Bucket=bucket):
    all_keys += [o["Key"] for o in page.get("Contents", [])]
deleted = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in all_keys] + [{"Key": "never-existed"}]})
check("delete_objects count", len(deleted.get("Deleted", [])), len(all_keys) + 1)
check("delete_objects errors", deleted.get("Errors", []), [])
check("bucket empty", s3.list_objects_v2(Bucket=bucket)["KeyCount"], 0)
s3.delete_bucket(Bucket=bucket)
check("bucket gone", error_code(s3.head_bucket, Bucket=bucket), ("404", 404))
print("ALL OK")
