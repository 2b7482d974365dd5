;; Loops in WebAssembly SIMD on tfjs-backend-wasm's own heap (the memory is imported: pointers
;; are the tensors' byte offsets), for the arithmetic of the project's fused kernels, where a
;; JavaScript loop costs 2–3 ns an element and this about 0.2. SiLU's forward pass, which needs an
;; `exp`, and attention are in `simd_exp.wat`, whose loops are tested against float64 instead of
;; bit-identical JavaScript twins.
;;
;; Source of the module embedded in `simd_modules.ts`: `deno task wasm` assembles this file (wabt) and
;; rewrites the bytes there; a test checks that they match. Every function works on whole groups
;; of four floats (`n4` groups); the caller does the remaining 0–3 elements.
(module
  (import "env" "memory" (memory 0))

  ;; SiLU's gradient from its input and output: s = σ(x) = y/x (½ where |x| < 1e-30, where the
  ;; quotient loses its meaning), dx = dy·s·(1 + x·(1 − s))
  (func (export "silu_grad") (param $x i32) (param $y i32) (param $dy i32) (param $dx i32) (param $n4 i32)
    (local $v v128) (local $s v128)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n4)))
        (local.set $v (v128.load align=4 (local.get $x)))
        (local.set $s
          (v128.bitselect
            (f32x4.splat (f32.const 0.5))
            (f32x4.div (v128.load align=4 (local.get $y)) (local.get $v))
            (f32x4.lt (f32x4.abs (local.get $v)) (f32x4.splat (f32.const 1e-30)))))
        (v128.store align=4 (local.get $dx)
          (f32x4.mul
            (f32x4.mul (v128.load align=4 (local.get $dy)) (local.get $s))
            (f32x4.add (f32x4.splat (f32.const 1))
              (f32x4.mul (local.get $v) (f32x4.sub (f32x4.splat (f32.const 1)) (local.get $s))))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
        (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
        (local.set $n4 (i32.sub (local.get $n4) (i32.const 1)))
        (br $next))))

  ;; out[a, c] = Σ_r in[a, r, c] for in [A, R, C], C = 4·c4: the sum over a middle axis, rows added
  ;; in order r = 0, 1, … (as a sequential sum would).
  (func (export "sum_middle") (param $in i32) (param $out i32) (param $a i32) (param $r i32) (param $c4 i32)
    (local $row i32) (local $k i32) (local $j i32) (local $p i32) (local $acc v128) (local $stride i32)
    (local.set $stride (i32.shl (local.get $c4) (i32.const 4)))
    (block $done
      (loop $outer
        (br_if $done (i32.eqz (local.get $a)))
        ;; one slab in[a, :, :], c4 groups of columns
        (local.set $k (i32.const 0))
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.eq (local.get $k) (local.get $c4)))
            (local.set $p (i32.add (local.get $in) (i32.shl (local.get $k) (i32.const 4))))
            (local.set $acc (v128.load align=4 (local.get $p)))
            (local.set $j (i32.const 1))
            (block $rows_done
              (loop $rows
                (br_if $rows_done (i32.ge_u (local.get $j) (local.get $r)))
                (local.set $p (i32.add (local.get $p) (local.get $stride)))
                (local.set $acc (f32x4.add (local.get $acc) (v128.load align=4 (local.get $p))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $rows)))
            (v128.store align=4 (local.get $out) (local.get $acc))
            (local.set $out (i32.add (local.get $out) (i32.const 16)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $cols)))
        (local.set $in (i32.add (local.get $in) (i32.mul (local.get $stride) (local.get $r))))
        (local.set $a (i32.sub (local.get $a) (i32.const 1)))
        (br $outer))))
;; A graph's weighted neighbour sum: out[b, i, :] = Σ_j w[i, j]·x[b, i, j, :] for x [B, N, N, C],
  ;; w [N, N], C = 4·c4 (the message aggregation of the graph models; w is the adjacency mask,
  ;; divided by the degree for a mean). Terms added in order j = 0, 1, …
  (func (export "pair_aggregate") (param $x i32) (param $w i32) (param $out i32) (param $batch i32)
      (param $n i32) (param $c4 i32)
    (local $i i32) (local $j i32) (local $k i32) (local $row i32) (local $acc v128) (local $stride i32)
    (local $wi i32)
    (local.set $stride (i32.shl (local.get $c4) (i32.const 4)))
    (block $done
      (loop $each_b
        (br_if $done (i32.eqz (local.get $batch)))
        (local.set $i (i32.const 0))
        (block $i_done
          (loop $each_i
            (br_if $i_done (i32.eq (local.get $i) (local.get $n)))
            (local.set $wi (i32.add (local.get $w) (i32.shl (i32.mul (local.get $i) (local.get $n)) (i32.const 2))))
            (local.set $k (i32.const 0))
            (block $k_done
              (loop $each_k
                (br_if $k_done (i32.eq (local.get $k) (local.get $c4)))
                (local.set $row (i32.add (local.get $x) (i32.shl (local.get $k) (i32.const 4))))
                (local.set $acc (f32x4.splat (f32.const 0)))
                (local.set $j (i32.const 0))
                (block $j_done
                  (loop $each_j
                    (br_if $j_done (i32.eq (local.get $j) (local.get $n)))
                    (local.set $acc
                      (f32x4.add (local.get $acc)
                        (f32x4.mul
                          (f32x4.splat (f32.load (i32.add (local.get $wi) (i32.shl (local.get $j) (i32.const 2)))))
                          (v128.load align=4 (local.get $row)))))
                    (local.set $row (i32.add (local.get $row) (local.get $stride)))
                    (local.set $j (i32.add (local.get $j) (i32.const 1)))
                    (br $each_j)))
                (v128.store align=4 (local.get $out) (local.get $acc))
                (local.set $out (i32.add (local.get $out) (i32.const 16)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $each_k)))
            ;; next i: x moves by one [N, C] slab
            (local.set $x (i32.add (local.get $x) (i32.mul (local.get $stride) (local.get $n))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $each_i)))
        (local.set $batch (i32.sub (local.get $batch) (i32.const 1)))
        (br $each_b))))

  ;; Its gradient: dx[b, i, j, :] = w[i, j]·dy[b, i, :].
  (func (export "pair_spread") (param $dy i32) (param $w i32) (param $dx i32) (param $batch i32)
      (param $n i32) (param $c4 i32)
    (local $i i32) (local $j i32) (local $k i32) (local $s v128) (local $src i32) (local $wij i32)
    (local $stride i32)
    (local.set $stride (i32.shl (local.get $c4) (i32.const 4)))
    (block $done
      (loop $each_b
        (br_if $done (i32.eqz (local.get $batch)))
        (local.set $i (i32.const 0))
        (block $i_done
          (loop $each_i
            (br_if $i_done (i32.eq (local.get $i) (local.get $n)))
            (local.set $wij (i32.add (local.get $w) (i32.shl (i32.mul (local.get $i) (local.get $n)) (i32.const 2))))
            (local.set $j (i32.const 0))
            (block $j_done
              (loop $each_j
                (br_if $j_done (i32.eq (local.get $j) (local.get $n)))
                (local.set $s (f32x4.splat (f32.load (local.get $wij))))
                (local.set $src (local.get $dy))
                (local.set $k (i32.const 0))
                (block $k_done
                  (loop $each_k
                    (br_if $k_done (i32.eq (local.get $k) (local.get $c4)))
                    (v128.store align=4 (local.get $dx) (f32x4.mul (local.get $s) (v128.load align=4 (local.get $src))))
                    (local.set $src (i32.add (local.get $src) (i32.const 16)))
                    (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))
                    (br $each_k)))
                (local.set $wij (i32.add (local.get $wij) (i32.const 4)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $each_j)))
            (local.set $dy (i32.add (local.get $dy) (local.get $stride)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $each_i)))
        (local.set $batch (i32.sub (local.get $batch) (i32.const 1)))
        (br $each_b))))
;; Receivers and senders broadcast over the pairs, with edge terms:
  ;; out[b, i, j, :] = r[b, i, :] + s[b, j, :] + Σ_k a[b, i, j, k]·w[k, :] for r, s [B, N, C],
  ;; a [B, N, N, K], w [K, C], C = 4·c4, k in order (an edge MLP's first layer on [h_i, h_j, a_ij]);
  ;; K = 0 for none (a and w are then not read).
  (func (export "pair_add_edges") (param $r i32) (param $s i32) (param $a i32) (param $w i32)
      (param $out i32) (param $batch i32) (param $n i32) (param $c4 i32) (param $kk i32)
    (local $i i32) (local $j i32) (local $c i32) (local $k i32) (local $ri i32) (local $sj i32)
    (local $stride i32) (local $v v128) (local $wk i32) (local $ak i32)
    (local.set $stride (i32.shl (local.get $c4) (i32.const 4)))
    (block $done
      (loop $each_b
        (br_if $done (i32.eqz (local.get $batch)))
        (local.set $i (i32.const 0))
        (block $i_done
          (loop $each_i
            (br_if $i_done (i32.eq (local.get $i) (local.get $n)))
            (local.set $j (i32.const 0))
            (local.set $sj (local.get $s))
            (block $j_done
              (loop $each_j
                (br_if $j_done (i32.eq (local.get $j) (local.get $n)))
                (local.set $ri (local.get $r))
                (local.set $c (i32.const 0))
                (block $c_done
                  (loop $each_c
                    (br_if $c_done (i32.eq (local.get $c) (local.get $c4)))
                    (local.set $v
                      (f32x4.add (v128.load align=4 (local.get $ri))
                        (v128.load align=4 (i32.add (local.get $sj) (i32.shl (local.get $c) (i32.const 4))))))
                    ;; + Σ_k a[k]·w[k, c-group]
                    (local.set $k (i32.const 0))
                    (local.set $ak (local.get $a))
                    (local.set $wk (i32.add (local.get $w) (i32.shl (local.get $c) (i32.const 4))))
                    (block $k_done
                      (loop $each_k
                        (br_if $k_done (i32.eq (local.get $k) (local.get $kk)))
                        (local.set $v
                          (f32x4.add (local.get $v)
                            (f32x4.mul (f32x4.splat (f32.load (local.get $ak)))
                              (v128.load align=4 (local.get $wk)))))
                        (local.set $ak (i32.add (local.get $ak) (i32.const 4)))
                        (local.set $wk (i32.add (local.get $wk) (local.get $stride)))
                        (local.set $k (i32.add (local.get $k) (i32.const 1)))
                        (br $each_k)))
                    (v128.store align=4 (local.get $out) (local.get $v))
                    (local.set $ri (i32.add (local.get $ri) (i32.const 16)))
                    (local.set $out (i32.add (local.get $out) (i32.const 16)))
                    (local.set $c (i32.add (local.get $c) (i32.const 1)))
                    (br $each_c)))
                ;; next pair: its K edge features
                (local.set $a (i32.add (local.get $a) (i32.shl (local.get $kk) (i32.const 2))))
                (local.set $sj (i32.add (local.get $sj) (local.get $stride)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $each_j)))
            (local.set $r (i32.add (local.get $r) (local.get $stride)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $each_i)))
        (local.set $s (i32.add (local.get $s) (i32.mul (local.get $stride) (local.get $n))))
        (local.set $batch (i32.sub (local.get $batch) (i32.const 1)))
        (br $each_b))))
;; Layer norm over rows of C = 4·c4 floats, ε = 1e-5, biased variance (the Transformer's and the
  ;; SE(3)-Transformer's): per row the mean and variance as four lane sums, added (l0 + l1) + (l2 + l3),
  ;; then y = (x − μ)·(1/√(σ² + ε)).
  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; μ and 1/√(σ² + ε) of the row at $x, into the globals below.
  (global $mean (mut f32) (f32.const 0))
  (global $inv (mut f32) (f32.const 0))
  (func $row_stats (param $x i32) (param $c4 i32)
    (local $k i32) (local $p i32) (local $acc v128) (local $d v128) (local $m v128) (local $c f32)
    (local.set $c (f32.convert_i32_u (i32.shl (local.get $c4) (i32.const 2))))
    (local.set $acc (f32x4.splat (f32.const 0)))
    (local.set $p (local.get $x))
    (local.set $k (local.get $c4))
    (block $d1 (loop $l1
      (br_if $d1 (i32.eqz (local.get $k)))
      (local.set $acc (f32x4.add (local.get $acc) (v128.load align=4 (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $k (i32.sub (local.get $k) (i32.const 1)))
      (br $l1)))
    (global.set $mean (f32.div (call $hsum (local.get $acc)) (local.get $c)))
    (local.set $m (f32x4.splat (global.get $mean)))
    (local.set $acc (f32x4.splat (f32.const 0)))
    (local.set $p (local.get $x))
    (local.set $k (local.get $c4))
    (block $d2 (loop $l2
      (br_if $d2 (i32.eqz (local.get $k)))
      (local.set $d (f32x4.sub (v128.load align=4 (local.get $p)) (local.get $m)))
      (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $d) (local.get $d))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $k (i32.sub (local.get $k) (i32.const 1)))
      (br $l2)))
    (global.set $inv
      (f32.div (f32.const 1)
        (f32.sqrt (f32.add (f32.div (call $hsum (local.get $acc)) (local.get $c)) (f32.const 1e-5))))))

  (func (export "layer_norm") (param $x i32) (param $y i32) (param $rows i32) (param $c4 i32)
    (local $k i32) (local $m v128) (local $inv v128)
    (block $done (loop $each_row
      (br_if $done (i32.eqz (local.get $rows)))
      (call $row_stats (local.get $x) (local.get $c4))
      (local.set $m (f32x4.splat (global.get $mean)))
      (local.set $inv (f32x4.splat (global.get $inv)))
      (local.set $k (local.get $c4))
      (block $d (loop $l
        (br_if $d (i32.eqz (local.get $k)))
        (v128.store align=4 (local.get $y)
          (f32x4.mul (f32x4.sub (v128.load align=4 (local.get $x)) (local.get $m)) (local.get $inv)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $l)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $each_row))))

  ;; Its gradient: with ŷ = (x − μ)·inv, dx = inv·((dy − mean(dy)) − ŷ·mean(dy·ŷ)).
  (func (export "layer_norm_grad") (param $x i32) (param $dy i32) (param $dx i32) (param $rows i32)
      (param $c4 i32)
    (local $k i32) (local $px i32) (local $pd i32) (local $m v128) (local $inv v128) (local $yh v128)
    (local $g v128) (local $sg v128) (local $sgy v128) (local $mg v128) (local $mgy v128) (local $c f32)
    (local.set $c (f32.convert_i32_u (i32.shl (local.get $c4) (i32.const 2))))
    (block $done (loop $each_row
      (br_if $done (i32.eqz (local.get $rows)))
      (call $row_stats (local.get $x) (local.get $c4))
      (local.set $m (f32x4.splat (global.get $mean)))
      (local.set $inv (f32x4.splat (global.get $inv)))
      (local.set $sg (f32x4.splat (f32.const 0)))
      (local.set $sgy (f32x4.splat (f32.const 0)))
      (local.set $px (local.get $x))
      (local.set $pd (local.get $dy))
      (local.set $k (local.get $c4))
      (block $d1 (loop $l1
        (br_if $d1 (i32.eqz (local.get $k)))
        (local.set $g (v128.load align=4 (local.get $pd)))
        (local.set $yh (f32x4.mul (f32x4.sub (v128.load align=4 (local.get $px)) (local.get $m)) (local.get $inv)))
        (local.set $sg (f32x4.add (local.get $sg) (local.get $g)))
        (local.set $sgy (f32x4.add (local.get $sgy) (f32x4.mul (local.get $g) (local.get $yh))))
        (local.set $px (i32.add (local.get $px) (i32.const 16)))
        (local.set $pd (i32.add (local.get $pd) (i32.const 16)))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $l1)))
      (local.set $mg (f32x4.splat (f32.div (call $hsum (local.get $sg)) (local.get $c))))
      (local.set $mgy (f32x4.splat (f32.div (call $hsum (local.get $sgy)) (local.get $c))))
      (local.set $k (local.get $c4))
      (block $d2 (loop $l2
        (br_if $d2 (i32.eqz (local.get $k)))
        (local.set $yh (f32x4.mul (f32x4.sub (v128.load align=4 (local.get $x)) (local.get $m)) (local.get $inv)))
        (v128.store align=4 (local.get $dx)
          (f32x4.mul (local.get $inv)
            (f32x4.sub
              (f32x4.sub (v128.load align=4 (local.get $dy)) (local.get $mg))
              (f32x4.mul (local.get $yh) (local.get $mgy)))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
        (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $l2)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $each_row))))
;; Σ g² over n4 groups of four, accumulated in float64 (two f64x2 lanes each for the low and high
  ;; halves): the global gradient norm of clipping.
  (func (export "sum_squares") (param $g i32) (param $n4 i32) (result f64)
    (local $lo v128) (local $hi v128) (local $x v128) (local $d v128)
    (local.set $lo (f64x2.splat (f64.const 0)))
    (local.set $hi (f64x2.splat (f64.const 0)))
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n4)))
      (local.set $x (v128.load align=4 (local.get $g)))
      (local.set $d (f64x2.promote_low_f32x4 (local.get $x)))
      (local.set $lo (f64x2.add (local.get $lo) (f64x2.mul (local.get $d) (local.get $d))))
      (local.set $d (f64x2.promote_low_f32x4
        (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x))))
      (local.set $hi (f64x2.add (local.get $hi) (f64x2.mul (local.get $d) (local.get $d))))
      (local.set $g (i32.add (local.get $g) (i32.const 16)))
      (local.set $n4 (i32.sub (local.get $n4) (i32.const 1)))
      (br $next)))
    (local.set $lo (f64x2.add (local.get $lo) (local.get $hi)))
    (f64.add (f64x2.extract_lane 0 (local.get $lo)) (f64x2.extract_lane 1 (local.get $lo))))

  ;; One Adam step on n4 groups of four parameters, in float32: g' = g·scale,
  ;; m = β₁m + (1 − β₁)g', v = β₂v + (1 − β₂)g'², out = p − lr·(m·c₁)/(√(v·c₂) + ε), with
  ;; c₁ = 1/(1 − β₁ᵗ) and c₂ = 1/(1 − β₂ᵗ) from the caller.
  (func (export "adam") (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $o i32)
      (param $n4 i32) (param $scale f32) (param $b1 f32) (param $b2 f32) (param $c1 f32) (param $c2 f32)
      (param $lr f32) (param $eps f32)
    (local $vs v128) (local $vb1 v128) (local $vb2 v128) (local $va1 v128) (local $va2 v128)
    (local $vc1 v128) (local $vc2 v128) (local $vlr v128) (local $veps v128)
    (local $gi v128) (local $mi v128) (local $vi v128)
    (local.set $vs (f32x4.splat (local.get $scale)))
    (local.set $vb1 (f32x4.splat (local.get $b1)))
    (local.set $vb2 (f32x4.splat (local.get $b2)))
    (local.set $va1 (f32x4.splat (f32.sub (f32.const 1) (local.get $b1))))
    (local.set $va2 (f32x4.splat (f32.sub (f32.const 1) (local.get $b2))))
    (local.set $vc1 (f32x4.splat (local.get $c1)))
    (local.set $vc2 (f32x4.splat (local.get $c2)))
    (local.set $vlr (f32x4.splat (local.get $lr)))
    (local.set $veps (f32x4.splat (local.get $eps)))
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n4)))
      (local.set $gi (f32x4.mul (v128.load align=4 (local.get $g)) (local.get $vs)))
      (local.set $mi (f32x4.add (f32x4.mul (local.get $vb1) (v128.load align=4 (local.get $m)))
        (f32x4.mul (local.get $va1) (local.get $gi))))
      (local.set $vi (f32x4.add (f32x4.mul (local.get $vb2) (v128.load align=4 (local.get $v)))
        (f32x4.mul (f32x4.mul (local.get $va2) (local.get $gi)) (local.get $gi))))
      (v128.store align=4 (local.get $m) (local.get $mi))
      (v128.store align=4 (local.get $v) (local.get $vi))
      (v128.store align=4 (local.get $o)
        (f32x4.sub (v128.load align=4 (local.get $p))
          (f32x4.div (f32x4.mul (local.get $vlr) (f32x4.mul (local.get $mi) (local.get $vc1)))
            (f32x4.add (f32x4.sqrt (f32x4.mul (local.get $vi) (local.get $vc2))) (local.get $veps)))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $g (i32.add (local.get $g) (i32.const 16)))
      (local.set $m (i32.add (local.get $m) (i32.const 16)))
      (local.set $v (i32.add (local.get $v) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (local.set $n4 (i32.sub (local.get $n4) (i32.const 1)))
      (br $next))))
)
