// WebAssembly text of the GF(2^8) multiply-accumulate kernel, generated here and
// compiled at load time (see rs-wasm.ts). Split-nibble method: for coefficient c,
// lo[i] = c*i and hi[i] = c*(i<<4), so c*x = lo[x & 15] ^ hi[x >> 4], sixteen bytes
// at a time with a byte swizzle. Rows are done in pairs so each input vector is
// loaded and split once per pair; `vectors` 16-byte vectors per step.
//
// mul(tables, rows, cols, in, inStride, out, outStride, len):
//   inputs  are `cols` rows of `len` bytes at in + c*inStride,
//   outputs are `rows` rows of `len` bytes at out + r*outStride,
//   tables  hold 32 bytes (lo16, hi16) per (r, c) at tables + (r*cols + c)*32,
//   len is a multiple of stepBytes(vectors).

export type SwizzleOp = 'i8x16.swizzle' | 'i8x16.relaxed_swizzle';

export function kernelStepBytes(vectors: number): number {
  return vectors * 16;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * swizzle: the portable op, or the relaxed one (pshufb directly; same result for indices 0..15).
 * The memory is shared and of a fixed size (`pages`): views of shared memory never detach,
 * and Bun writes them to files as they are, where it copies views of ordinary wasm memory.
 */
export function rsKernelWat(swizzle: SwizzleOp, vectors: number, pages: number): string {
  const V = range(vectors);
  const step = kernelStepBytes(vectors);
  const acc = (row: 'a' | 'b', v: number, tl: string, th: string): string =>
    `(local.set $${row}${v} (v128.xor (local.get $${row}${v}) (v128.xor (${swizzle} (local.get ${tl}) (local.get $l${v})) (${swizzle} (local.get ${th}) (local.get $h${v})))))`;
  return `
(module
  (memory (export "memory") ${pages} ${pages} shared)
  (func (export "mul") (param $tables i32) (param $rows i32) (param $cols i32) (param $in i32) (param $inStride i32) (param $out i32) (param $outStride i32) (param $len i32)
    (local $r i32) (local $c i32) (local $pos i32) (local $src i32) (local $t i32) (local $t2 i32) (local $pair i32) (local $dst i32)
    ${V.map((v) => `(local $x${v} v128) (local $l${v} v128) (local $h${v} v128) (local $a${v} v128) (local $b${v} v128)`).join(' ')}
    (local $tl v128) (local $th v128) (local $tl2 v128) (local $th2 v128) (local $mask v128)
    (local.set $mask (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15))
    (block $rows_done
      (loop $rows_loop
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $rows)))
        ;; pair = 1 when row r+1 exists; for a lone last row the second lane recomputes row r and is not stored
        (local.set $pair (i32.lt_u (i32.add (local.get $r) (i32.const 1)) (local.get $rows)))
        (local.set $pos (i32.const 0))
        (block $pos_done
          (loop $pos_loop
            (br_if $pos_done (i32.ge_u (local.get $pos) (local.get $len)))
            ${V.map((v) => `(local.set $a${v} (v128.const i64x2 0 0)) (local.set $b${v} (v128.const i64x2 0 0))`).join('\n            ')}
            (local.set $src (i32.add (local.get $in) (local.get $pos)))
            (local.set $t (i32.add (local.get $tables) (i32.shl (i32.mul (local.get $r) (local.get $cols)) (i32.const 5))))
            (local.set $t2 (i32.add (local.get $t) (i32.mul (local.get $pair) (i32.shl (local.get $cols) (i32.const 5)))))
            (local.set $c (i32.const 0))
            (block $cols_done
              (loop $cols_loop
                (br_if $cols_done (i32.ge_u (local.get $c) (local.get $cols)))
                ${V.map((v) => `(local.set $x${v} (v128.load offset=${v * 16} (local.get $src)))`).join('\n                ')}
                ${V.map((v) => `(local.set $l${v} (v128.and (local.get $x${v}) (local.get $mask)))`).join('\n                ')}
                ${V.map((v) => `(local.set $h${v} (v128.and (i16x8.shr_u (local.get $x${v}) (i32.const 4)) (local.get $mask)))`).join('\n                ')}
                (local.set $tl (v128.load (local.get $t)))
                (local.set $th (v128.load offset=16 (local.get $t)))
                (local.set $tl2 (v128.load (local.get $t2)))
                (local.set $th2 (v128.load offset=16 (local.get $t2)))
                ${V.map((v) => acc('a', v, '$tl', '$th')).join('\n                ')}
                ${V.map((v) => acc('b', v, '$tl2', '$th2')).join('\n                ')}
                (local.set $src (i32.add (local.get $src) (local.get $inStride)))
                (local.set $t (i32.add (local.get $t) (i32.const 32)))
                (local.set $t2 (i32.add (local.get $t2) (i32.const 32)))
                (local.set $c (i32.add (local.get $c) (i32.const 1)))
                (br $cols_loop)))
            (local.set $dst (i32.add (i32.add (local.get $out) (i32.mul (local.get $r) (local.get $outStride))) (local.get $pos)))
            ${V.map((v) => `(v128.store offset=${v * 16} (local.get $dst) (local.get $a${v}))`).join('\n            ')}
            (if (local.get $pair)
              (then
                (local.set $dst (i32.add (local.get $dst) (local.get $outStride)))
                ${V.map((v) => `(v128.store offset=${v * 16} (local.get $dst) (local.get $b${v}))`).join('\n                ')}))
            (local.set $pos (i32.add (local.get $pos) (i32.const ${step})))
            (br $pos_loop)))
        (local.set $r (i32.add (local.get $r) (i32.add (i32.const 1) (local.get $pair))))
        (br $rows_loop)))))
`;
}
