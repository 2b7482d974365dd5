;; Gated activations and attention in WebAssembly SIMD on tfjs-backend-wasm's heap,
;; `y = u·σ(c·u·(1 + k₃u²))`: SiLU with c = 1, k₃ = 0; the tanh-approximated GELU with c = 2√(2/π),
;; k₃ = 0.044715 (½(1 + tanh a) = σ(2a)); and its gradient `dy·(σ + u·σ(1 − σ)·c·(1 + 3k₃u²))`,
;; for n4 groups of four floats (the caller does the remaining 0–3); and attention, whose softmax
;; needs the same `exp`. A module of its own beside `simd_kernels.wat` because its loops are not
;; bit-identical to JavaScript twins: the `exp` is a polynomial, tested against float64.
;;
;; The forward loop computes y = u/(1 + e^−v) with −v clamped to [−87, 87] (one division, no
;; mirror: 2.1 against 2.8 ns an element for σ(v) = f/(1 + f), f = e^−|v|, mirrored for v > 0 as
;; 1 − that, which the gradient loop still uses). e^z for z ≥ −87 (clamped; below, σ is 0 to
;; float32 anyway): z = n·ln2 + r with |r| ≤ ln2/2
;; (Cody–Waite, two parts), 2^n by the magic-number trick (z·log₂e + 1.5·2²³ + 127 leaves n + 127
;; in the low mantissa bits, shifted into the exponent), e^r by its degree-6 Taylor polynomial in
;; Horner form (degree 5 left 3.4e-6). Relative error of SiLU below 4e-7 (against float64)
;; wherever |y| > 1e-30. Written first with relaxed SIMD's `f32x4.relaxed_madd`, which was faster,
;; but that rounds once or twice depending on the code V8 runs (the result is implementation
;; defined), and two identical runs gave different numbers; plain multiply and add now, so the same
;; seed gives the same numbers (`deno task wasm` assembles this file with relaxed SIMD off, so an
;; implementation-defined instruction cannot come back unnoticed). The σ code is written out in
;; both functions (a call costs V8 an out-of-line function per four floats here: 1.6× slower).
;;
;; Assembled into `simd_modules.ts` by `deno task wasm`; a test checks the embedded bytes.
(module
  (import "env" "memory" (memory 0))
  (func (export "gate") (param $x i32) (param $y i32) (param $n4 i32) (param $cf f32) (param $k3f f32)
    (local $v v128) (local $z v128) (local $n v128) (local $s v128) (local $r v128) (local $p v128)
    (local $c6 v128)
    (local $log2e v128) (local $magic v128) (local $ln2hi v128) (local $ln2lo v128) (local $c5 v128)
    (local $c4 v128) (local $c3 v128) (local $c2 v128) (local $one v128)
    (local $floor v128) (local $ceil v128) (local $u v128) (local $cz v128) (local $k3 v128)
    ;; constants in registers, outside the loop
    (local.set $cz (f32x4.splat (local.get $cf)))
    (local.set $k3 (f32x4.splat (local.get $k3f)))
    (local.set $log2e (f32x4.splat (f32.const 1.44269504)))
    (local.set $magic (f32x4.splat (f32.const 12583039)))
    (local.set $ln2hi (f32x4.splat (f32.const -0.693145752)))
    (local.set $ln2lo (f32x4.splat (f32.const -1.42860677e-6)))
    (local.set $c6 (f32x4.splat (f32.const 1.38888889e-3)))
    (local.set $c5 (f32x4.splat (f32.const 8.33333333e-3)))
    (local.set $c4 (f32x4.splat (f32.const 4.16666667e-2)))
    (local.set $c3 (f32x4.splat (f32.const 1.66666667e-1)))
    (local.set $c2 (f32x4.splat (f32.const 0.5)))
    (local.set $one (f32x4.splat (f32.const 1)))
    (local.set $floor (f32x4.splat (f32.const -87)))
    (local.set $ceil (f32x4.splat (f32.const 87)))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n4)))
        (local.set $u (v128.load align=4 (local.get $x)))
        ;; the gate's argument v = u·c·(1 + k3·u²), then z = −v clamped to [−87, 87]
        (local.set $v
          (f32x4.mul (f32x4.mul (local.get $u) (local.get $cz))
            (f32x4.add (f32x4.mul (f32x4.mul (local.get $u) (local.get $u)) (local.get $k3)) (local.get $one))))
        (local.set $z (f32x4.pmin (f32x4.pmax (f32x4.neg (local.get $v)) (local.get $floor)) (local.get $ceil)))
        (local.set $n (f32x4.add (f32x4.mul (local.get $z) (local.get $log2e)) (local.get $magic)))
        (local.set $s (i32x4.shl (local.get $n) (i32.const 23)))
        (local.set $n (f32x4.sub (local.get $n) (local.get $magic)))
        (local.set $r (f32x4.add (f32x4.mul (local.get $n) (local.get $ln2hi)) (local.get $z)))
        (local.set $r (f32x4.add (f32x4.mul (local.get $n) (local.get $ln2lo)) (local.get $r)))
        ;; e^r = 1 + r(1 + r(½ + r(⅙ + r(1/24 + r(1/120 + r/720)))))
        (local.set $p (f32x4.add (f32x4.mul (local.get $c6) (local.get $r)) (local.get $c5)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c4)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c3)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c2)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $one)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $one)))
        ;; y = u·σ(v) = u/(1 + 2^n·e^r): one division, no mirror
        (v128.store align=4 (local.get $y)
          (f32x4.div (local.get $u) (f32x4.add (f32x4.mul (local.get $s) (local.get $p)) (local.get $one))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $n4 (i32.sub (local.get $n4) (i32.const 1)))
        (br $next))))

  ;; Its gradient, with σ(v) = f/(1 + f), f = e^−|v| (no overflow), mirrored for v > 0 as 1 − that.
  (func (export "gate_grad") (param $x i32) (param $dy i32) (param $dx i32) (param $n4 i32) (param $cf f32)
      (param $k3f f32)
    (local $v v128) (local $z v128) (local $n v128) (local $s v128) (local $r v128) (local $p v128)
    (local $e v128) (local $c6 v128)
    (local $log2e v128) (local $magic v128) (local $ln2hi v128) (local $ln2lo v128) (local $c5 v128)
    (local $c4 v128) (local $c3 v128) (local $c2 v128) (local $one v128) (local $sign v128)
    (local $floor v128) (local $zero v128) (local $u v128) (local $cz v128) (local $k3 v128) (local $k33 v128)
    ;; constants in registers, outside the loop
    (local.set $cz (f32x4.splat (local.get $cf)))
    (local.set $k3 (f32x4.splat (local.get $k3f)))
    (local.set $k33 (f32x4.splat (f32.mul (f32.const 3) (local.get $k3f))))
    (local.set $log2e (f32x4.splat (f32.const 1.44269504)))
    (local.set $magic (f32x4.splat (f32.const 12583039)))
    (local.set $ln2hi (f32x4.splat (f32.const -0.693145752)))
    (local.set $ln2lo (f32x4.splat (f32.const -1.42860677e-6)))
    (local.set $c6 (f32x4.splat (f32.const 1.38888889e-3)))
    (local.set $c5 (f32x4.splat (f32.const 8.33333333e-3)))
    (local.set $c4 (f32x4.splat (f32.const 4.16666667e-2)))
    (local.set $c3 (f32x4.splat (f32.const 1.66666667e-1)))
    (local.set $c2 (f32x4.splat (f32.const 0.5)))
    (local.set $one (f32x4.splat (f32.const 1)))
    (local.set $sign (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
    (local.set $floor (f32x4.splat (f32.const -87)))
    (local.set $zero (v128.const i32x4 0 0 0 0))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n4)))
        (local.set $u (v128.load align=4 (local.get $x)))
        ;; the gate's argument v = u·c·(1 + k3·u²), then z = −v clamped to [−87, 87]
        (local.set $v
          (f32x4.mul (f32x4.mul (local.get $u) (local.get $cz))
            (f32x4.add (f32x4.mul (f32x4.mul (local.get $u) (local.get $u)) (local.get $k3)) (local.get $one))))
        (local.set $z (f32x4.pmax (v128.or (local.get $v) (local.get $sign)) (local.get $floor)))
        (local.set $n (f32x4.add (f32x4.mul (local.get $z) (local.get $log2e)) (local.get $magic)))
        (local.set $s (i32x4.shl (local.get $n) (i32.const 23)))
        (local.set $n (f32x4.sub (local.get $n) (local.get $magic)))
        (local.set $r (f32x4.add (f32x4.mul (local.get $n) (local.get $ln2hi)) (local.get $z)))
        (local.set $r (f32x4.add (f32x4.mul (local.get $n) (local.get $ln2lo)) (local.get $r)))
        ;; e^r = 1 + r(1 + r(½ + r(⅙ + r(1/24 + r(1/120 + r/720)))))
        (local.set $p (f32x4.add (f32x4.mul (local.get $c6) (local.get $r)) (local.get $c5)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c4)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c3)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $c2)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $one)))
        (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (local.get $one)))
        ;; f = 2^n·e^r; σ(−|x|) = f/(1 + f); σ(x) = 1 − that for x > 0
        (local.set $e (f32x4.mul (local.get $s) (local.get $p)))
        (local.set $e (f32x4.div (local.get $e) (f32x4.add (local.get $e) (local.get $one))))
        (local.set $e
          (v128.bitselect (f32x4.sub (local.get $one) (local.get $e)) (local.get $e)
            (f32x4.gt (local.get $v) (local.get $zero))))
        ;; dx = dy·(σ + u·σ(1 − σ)·c·(1 + 3k3·u²))
        (v128.store align=4 (local.get $dx)
          (f32x4.mul (v128.load align=4 (local.get $dy))
            (f32x4.add (f32x4.mul (f32x4.mul (f32x4.mul (local.get $u) (local.get $e)) (f32x4.sub (local.get $one) (local.get $e))) (f32x4.mul (local.get $cz)
                (f32x4.add (f32x4.mul (f32x4.mul (local.get $u) (local.get $u)) (local.get $k33)) (local.get $one)))) (local.get $e))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
        (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
        (local.set $n4 (i32.sub (local.get $n4) (i32.const 1)))
        (br $next))))

  ;; ---- attention over the tokens of each (sample, head), D = 4·d4 wide, on the fused projection
  ;; qkv [B, N, 3, H, D]; scores times $scale (1/√D of the heads' own width, which may be narrower
  ;; than 4·d4 when the caller pads them with zero columns), softmax over keys with max subtracted.

  ;; e^z for z ≤ 0 (z ≥ −87 clamped), four lanes: the exp of the gates above without the mirror.
  (func $exp_nonpositive (param $z v128) (result v128)
    (local $n v128) (local $s v128) (local $r v128) (local $p v128)
    (local.set $z (f32x4.pmax (local.get $z) (f32x4.splat (f32.const -87))))
    (local.set $n (f32x4.add (f32x4.mul (local.get $z) (f32x4.splat (f32.const 1.44269504))) (f32x4.splat (f32.const 12583039))))
    (local.set $s (i32x4.shl (local.get $n) (i32.const 23)))
    (local.set $n (f32x4.sub (local.get $n) (f32x4.splat (f32.const 12583039))))
    (local.set $r (f32x4.add (f32x4.mul (local.get $n) (f32x4.splat (f32.const -0.693145752))) (local.get $z)))
    (local.set $r (f32x4.add (f32x4.mul (local.get $n) (f32x4.splat (f32.const -1.42860677e-6))) (local.get $r)))
    (local.set $p (f32x4.add (f32x4.mul (f32x4.splat (f32.const 1.38888889e-3)) (local.get $r)) (f32x4.splat (f32.const 8.33333333e-3))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 4.16666667e-2))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.66666667e-1))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 0.5))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1))))
    (f32x4.mul (local.get $s) (local.get $p)))

  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; Σ_t a[t]·b[t] over d4 groups of four.
  (func $dot (param $a i32) (param $b i32) (param $d4 i32) (result f32)
    (local $acc v128)
    (local.set $acc (f32x4.splat (f32.const 0)))
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $d4)))
      (local.set $acc (f32x4.add (f32x4.mul (v128.load align=4 (local.get $a)) (v128.load align=4 (local.get $b))) (local.get $acc)))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $d4 (i32.sub (local.get $d4) (i32.const 1)))
      (br $next)))
    (call $hsum (local.get $acc)))

  ;; dst[t] += w·src[t] over d4 groups of four.
  (func $axpy (param $w f32) (param $src i32) (param $dst i32) (param $d4 i32)
    (local $wv v128)
    (local.set $wv (f32x4.splat (local.get $w)))
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $d4)))
      (v128.store align=4 (local.get $dst) (f32x4.add (f32x4.mul (local.get $wv) (v128.load align=4 (local.get $src))) (v128.load align=4 (local.get $dst))))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (local.set $d4 (i32.sub (local.get $d4) (i32.const 1)))
      (br $next))))

  ;; dst[t] = 0 over d4 groups of four.
  (func $zero (param $dst i32) (param $d4 i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $d4)))
      (v128.store align=4 (local.get $dst) (v128.const i32x4 0 0 0 0))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (local.set $d4 (i32.sub (local.get $d4) (i32.const 1)))
      (br $next))))

  ;; Softmax over j < n of the scores of query i (row $qi of the head whose first key is $k0),
  ;; written to $p[0 .. n): p_j = e^(s_j − max) / Σ e, s_j = scale·q_i·k_j. $p has room for n
  ;; rounded up to four.
  (func $softmax_row (param $qi i32) (param $k0 i32) (param $rowb i32) (param $n i32) (param $d4 i32)
      (param $scale f32) (param $p i32)
    (local $j i32) (local $s f32) (local $max f32) (local $sum f32) (local $at i32) (local $g i32)
    (local $m v128) (local $e v128) (local $inv f32) (local $groups i32) (local $acc v128)
    (local.set $max (f32.const -inf))
    (local.set $j (i32.const 0))
    (block $d1 (loop $l1
      (br_if $d1 (i32.eq (local.get $j) (local.get $n)))
      (local.set $s (f32.mul (local.get $scale)
        (call $dot (local.get $qi) (i32.add (local.get $k0) (i32.mul (local.get $j) (local.get $rowb)))
          (local.get $d4))))
      (f32.store (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2))) (local.get $s))
      (local.set $max (f32.max (local.get $max) (local.get $s)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $l1)))
    ;; pad to a whole group with the max (e^0 = 1, left out of the sum below)
    (local.set $groups (i32.shr_u (i32.add (local.get $n) (i32.const 3)) (i32.const 2)))
    (block $d2 (loop $l2
      (br_if $d2 (i32.eq (local.get $j) (i32.shl (local.get $groups) (i32.const 2))))
      (f32.store (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2))) (local.get $max))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $l2)))
    (local.set $m (f32x4.splat (local.get $max)))
    (local.set $at (local.get $p))
    (local.set $g (local.get $groups))
    (block $d3 (loop $l3
      (br_if $d3 (i32.eqz (local.get $g)))
      (v128.store align=4 (local.get $at)
        (call $exp_nonpositive (f32x4.sub (v128.load align=4 (local.get $at)) (local.get $m))))
      (local.set $at (i32.add (local.get $at) (i32.const 16)))
      (local.set $g (i32.sub (local.get $g) (i32.const 1)))
      (br $l3)))
    (local.set $sum (f32.const 0))
    (local.set $j (i32.const 0))
    (block $d4 (loop $l4
      (br_if $d4 (i32.eq (local.get $j) (local.get $n)))
      (local.set $sum (f32.add (local.get $sum)
        (f32.load (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2))))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $l4)))
    (local.set $inv (f32.div (f32.const 1) (local.get $sum)))
    (local.set $j (i32.const 0))
    (block $d5 (loop $l5
      (br_if $d5 (i32.eq (local.get $j) (local.get $n)))
      (local.set $at (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 2))))
      (f32.store (local.get $at) (f32.mul (f32.load (local.get $at)) (local.get $inv)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $l5))))

  ;; out [B, N, H, D]: out_i = Σ_j p_ij v_j per (sample, head). $scratch: n rounded up to 4 floats.
  (func (export "attention") (param $qkv i32) (param $out i32) (param $b i32) (param $n i32)
      (param $h i32) (param $d4 i32) (param $scratch i32) (param $scale f32)
    (local $bi i32) (local $hi i32) (local $i i32) (local $j i32) (local $rowb i32) (local $orow i32)
    (local $base i32) (local $qh i32) (local $kh i32) (local $vh i32) (local $o i32) (local $db i32)
    (local $cb i32)
    (local.set $db (i32.shl (local.get $d4) (i32.const 4)))          ;; D in bytes
    (local.set $cb (i32.mul (local.get $h) (local.get $db)))          ;; C = H·D in bytes
    (local.set $rowb (i32.mul (local.get $cb) (i32.const 3)))         ;; a qkv row
    (local.set $bi (i32.const 0))
    (block $bd (loop $bl
      (br_if $bd (i32.eq (local.get $bi) (local.get $b)))
      (local.set $base (i32.add (local.get $qkv) (i32.mul (i32.mul (local.get $bi) (local.get $n)) (local.get $rowb))))
      (local.set $hi (i32.const 0))
      (block $hd (loop $hl
        (br_if $hd (i32.eq (local.get $hi) (local.get $h)))
        (local.set $qh (i32.add (local.get $base) (i32.mul (local.get $hi) (local.get $db))))
        (local.set $kh (i32.add (local.get $qh) (local.get $cb)))
        (local.set $vh (i32.add (local.get $kh) (local.get $cb)))
        (local.set $i (i32.const 0))
        (block $id (loop $il
          (br_if $id (i32.eq (local.get $i) (local.get $n)))
          (call $softmax_row (i32.add (local.get $qh) (i32.mul (local.get $i) (local.get $rowb)))
            (local.get $kh) (local.get $rowb) (local.get $n) (local.get $d4) (local.get $scale)
            (local.get $scratch))
          (local.set $o (i32.add (i32.add (local.get $out)
            (i32.mul (i32.add (i32.mul (local.get $bi) (local.get $n)) (local.get $i)) (local.get $cb)))
            (i32.mul (local.get $hi) (local.get $db))))
          (call $zero (local.get $o) (local.get $d4))
          (local.set $j (i32.const 0))
          (block $jd (loop $jl
            (br_if $jd (i32.eq (local.get $j) (local.get $n)))
            (call $axpy (f32.load (i32.add (local.get $scratch) (i32.shl (local.get $j) (i32.const 2))))
              (i32.add (local.get $vh) (i32.mul (local.get $j) (local.get $rowb))) (local.get $o) (local.get $d4))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jl)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $il)))
        (local.set $hi (i32.add (local.get $hi) (i32.const 1)))
        (br $hl)))
      (local.set $bi (i32.add (local.get $bi) (i32.const 1)))
      (br $bl))))

  ;; Its gradient into dqkv [B, N, 3, H, D] from g = dOut [B, N, H, D]: per (sample, head), with
  ;; P recomputed row by row into $scratch [N × N4] (N4 = N rounded up to 4) and dP beside it,
  ;; dV = Pᵀ·g, dP = g·Vᵀ, dS = P ∘ (dP − rowsum(P ∘ dP))·scale, dQ = dS·K, dK = dSᵀ·Q.
  (func (export "attention_grad") (param $qkv i32) (param $g i32) (param $dqkv i32) (param $b i32)
      (param $n i32) (param $h i32) (param $d4 i32) (param $scratch i32) (param $scale f32)
    (local $bi i32) (local $hi i32) (local $i i32) (local $j i32) (local $rowb i32) (local $db i32)
    (local $cb i32) (local $base i32) (local $dbase i32) (local $qh i32) (local $kh i32) (local $vh i32)
    (local $dqh i32) (local $dkh i32) (local $dvh i32) (local $gi i32) (local $n4b i32)
    (local $pi i32) (local $dpi i32) (local $dot f32) (local $pij f32) (local $ds f32) (local $dps i32)
    (local.set $db (i32.shl (local.get $d4) (i32.const 4)))
    (local.set $cb (i32.mul (local.get $h) (local.get $db)))
    (local.set $rowb (i32.mul (local.get $cb) (i32.const 3)))
    (local.set $n4b (i32.shl (i32.shr_u (i32.add (local.get $n) (i32.const 3)) (i32.const 2)) (i32.const 4)))
    (local.set $dps (i32.add (local.get $scratch) (i32.mul (local.get $n) (local.get $n4b))))
    (local.set $bi (i32.const 0))
    (block $bd (loop $bl
      (br_if $bd (i32.eq (local.get $bi) (local.get $b)))
      (local.set $base (i32.add (local.get $qkv) (i32.mul (i32.mul (local.get $bi) (local.get $n)) (local.get $rowb))))
      (local.set $dbase (i32.add (local.get $dqkv) (i32.mul (i32.mul (local.get $bi) (local.get $n)) (local.get $rowb))))
      (local.set $hi (i32.const 0))
      (block $hd (loop $hl
        (br_if $hd (i32.eq (local.get $hi) (local.get $h)))
        (local.set $qh (i32.add (local.get $base) (i32.mul (local.get $hi) (local.get $db))))
        (local.set $kh (i32.add (local.get $qh) (local.get $cb)))
        (local.set $vh (i32.add (local.get $kh) (local.get $cb)))
        (local.set $dqh (i32.add (local.get $dbase) (i32.mul (local.get $hi) (local.get $db))))
        (local.set $dkh (i32.add (local.get $dqh) (local.get $cb)))
        (local.set $dvh (i32.add (local.get $dkh) (local.get $cb)))
        ;; zero this head's dq, dk, dv rows
        (local.set $i (i32.const 0))
        (block $zd (loop $zl
          (br_if $zd (i32.eq (local.get $i) (local.get $n)))
          (call $zero (i32.add (local.get $dqh) (i32.mul (local.get $i) (local.get $rowb))) (local.get $d4))
          (call $zero (i32.add (local.get $dkh) (i32.mul (local.get $i) (local.get $rowb))) (local.get $d4))
          (call $zero (i32.add (local.get $dvh) (i32.mul (local.get $i) (local.get $rowb))) (local.get $d4))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $zl)))
        (local.set $i (i32.const 0))
        (block $id (loop $il
          (br_if $id (i32.eq (local.get $i) (local.get $n)))
          (local.set $pi (i32.add (local.get $scratch) (i32.mul (local.get $i) (local.get $n4b))))
          (local.set $dpi (i32.add (local.get $dps) (i32.mul (local.get $i) (local.get $n4b))))
          (call $softmax_row (i32.add (local.get $qh) (i32.mul (local.get $i) (local.get $rowb)))
            (local.get $kh) (local.get $rowb) (local.get $n) (local.get $d4) (local.get $scale)
            (local.get $pi))
          (local.set $gi (i32.add (local.get $g)
            (i32.add (i32.mul (i32.add (i32.mul (local.get $bi) (local.get $n)) (local.get $i)) (local.get $cb))
              (i32.mul (local.get $hi) (local.get $db)))))
          ;; dv_j += p_ij·g_i; dp_ij = g_i·v_j; dot = Σ_j p_ij·dp_ij
          (local.set $dot (f32.const 0))
          (local.set $j (i32.const 0))
          (block $jd (loop $jl
            (br_if $jd (i32.eq (local.get $j) (local.get $n)))
            (local.set $pij (f32.load (i32.add (local.get $pi) (i32.shl (local.get $j) (i32.const 2)))))
            (call $axpy (local.get $pij) (local.get $gi)
              (i32.add (local.get $dvh) (i32.mul (local.get $j) (local.get $rowb))) (local.get $d4))
            (local.set $ds (call $dot (local.get $gi)
              (i32.add (local.get $vh) (i32.mul (local.get $j) (local.get $rowb))) (local.get $d4)))
            (f32.store (i32.add (local.get $dpi) (i32.shl (local.get $j) (i32.const 2))) (local.get $ds))
            (local.set $dot (f32.add (local.get $dot) (f32.mul (local.get $pij) (local.get $ds))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jl)))
          ;; ds_ij = p_ij (dp_ij − dot)·scale; dq_i += ds_ij k_j; dk_j += ds_ij q_i
          (local.set $j (i32.const 0))
          (block $kd (loop $kl
            (br_if $kd (i32.eq (local.get $j) (local.get $n)))
            (local.set $ds (f32.mul (f32.mul
              (f32.load (i32.add (local.get $pi) (i32.shl (local.get $j) (i32.const 2))))
              (f32.sub (f32.load (i32.add (local.get $dpi) (i32.shl (local.get $j) (i32.const 2)))) (local.get $dot)))
              (local.get $scale)))
            (call $axpy (local.get $ds) (i32.add (local.get $kh) (i32.mul (local.get $j) (local.get $rowb)))
              (i32.add (local.get $dqh) (i32.mul (local.get $i) (local.get $rowb))) (local.get $d4))
            (call $axpy (local.get $ds) (i32.add (local.get $qh) (i32.mul (local.get $i) (local.get $rowb)))
              (i32.add (local.get $dkh) (i32.mul (local.get $j) (local.get $rowb))) (local.get $d4))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $kl)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $il)))
        (local.set $hi (i32.add (local.get $hi) (i32.const 1)))
        (br $hl)))
      (local.set $bi (i32.add (local.get $bi) (i32.const 1)))
      (br $bl))))
)
