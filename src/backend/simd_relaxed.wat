;; Gated activations in WebAssembly relaxed SIMD (fused multiply-add) on tfjs-backend-wasm's heap,
;; `y = u·σ(c·u·(1 + k₃u²))`: SiLU with c = 1, k₃ = 0; the tanh-approximated GELU with c = 2√(2/π),
;; k₃ = 0.044715 (½(1 + tanh a) = σ(2a)); and its gradient `dy·(σ + u·σ(1 − σ)·c·(1 + 3k₃u²))`,
;; for n4 groups of four floats (the caller does the remaining 0–3). A module of its own beside
;; `simd_kernels.wat`, so that an engine without relaxed SIMD keeps the other loops.
;;
;; σ(v) = f/(1 + f) with f = e^−|v| (no overflow), mirrored for v > 0 as 1 − that. e^z for
;; z = −|v| ≥ −87 (clamped; below, σ is 0 to float32 anyway): z = n·ln2 + r with |r| ≤ ln2/2
;; (Cody–Waite, two parts), 2^n by the magic-number trick (z·log₂e + 1.5·2²³ + 127 leaves n + 127
;; in the low mantissa bits, shifted into the exponent), e^r by its degree-6 Taylor polynomial in
;; Horner form (degree 5 left 3.4e-6). Relative error of SiLU below 4e-7 (against float64)
;; wherever |y| > 1e-30. `relaxed_madd` may or may not round once (hardware FMA or not): the same
;; machine always gives the same bits. The σ code is written out in both functions (a call costs
;; V8 an out-of-line function per four floats here: 1.6× slower).
;;
;; Assembled into `simd_kernels.ts` by `deno task wasm`; a test checks the embedded bytes.
(module
  (import "env" "memory" (memory 0))
  (func (export "gate") (param $x i32) (param $y i32) (param $n4 i32) (param $cf f32) (param $k3f f32)
    (local $v v128) (local $z v128) (local $n v128) (local $s v128) (local $r v128) (local $p v128)
    (local $e v128) (local $c6 v128)
    (local $log2e v128) (local $magic v128) (local $ln2hi v128) (local $ln2lo v128) (local $c5 v128)
    (local $c4 v128) (local $c3 v128) (local $c2 v128) (local $one v128) (local $sign v128)
    (local $floor v128) (local $zero v128) (local $u v128) (local $cz v128) (local $k3 v128)
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
    (local.set $sign (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
    (local.set $floor (f32x4.splat (f32.const -87)))
    (local.set $zero (v128.const i32x4 0 0 0 0))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n4)))
        (local.set $u (v128.load align=4 (local.get $x)))
        ;; the gate's argument u·c·(1 + k3·u²), then z = max(−|·|, −87)
        (local.set $v
          (f32x4.mul (f32x4.mul (local.get $u) (local.get $cz))
            (f32x4.relaxed_madd (f32x4.mul (local.get $u) (local.get $u)) (local.get $k3) (local.get $one))))
        (local.set $z (f32x4.pmax (v128.or (local.get $v) (local.get $sign)) (local.get $floor)))
        (local.set $n (f32x4.relaxed_madd (local.get $z) (local.get $log2e) (local.get $magic)))
        (local.set $s (i32x4.shl (local.get $n) (i32.const 23)))
        (local.set $n (f32x4.sub (local.get $n) (local.get $magic)))
        (local.set $r (f32x4.relaxed_madd (local.get $n) (local.get $ln2hi) (local.get $z)))
        (local.set $r (f32x4.relaxed_madd (local.get $n) (local.get $ln2lo) (local.get $r)))
        ;; e^r = 1 + r(1 + r(½ + r(⅙ + r(1/24 + r(1/120 + r/720)))))
        (local.set $p (f32x4.relaxed_madd (local.get $c6) (local.get $r) (local.get $c5)))
        (local.set $p (f32x4.relaxed_madd (local.get $p) (local.get $r) (local.get $c4)))
        (local.set $p (f32x4.relaxed_madd (local.get $p) (local.get $r) (local.get $c3)))
        (local.set $p (f32x4.relaxed_madd (local.get $p) (local.get $r) (local.get $c2)))
        (local.set $p (f32x4.relaxed_madd (local.get $p) (local.get $r) (local.get $one)))
        (local.set $p (f32x4.relaxed_madd (local.get $p) (local.get $r) (local.get $one)))
        ;; f = 2^n·e^r; σ(−|x|) = f/(1 + f); σ(x) = 1 − that for x > 0
        (local.set $e (f32x4.mul (local.get $s) (local.get $p)))
        (local.set $e (f32x4.div (local.get $e) (f32x4.add (local.get $e) (local.get $one))))
        (local.set $e
          (v128.bitselect (f32x4.sub (local.get $one) (local.get $e)) (local.get $e)
            (f32x4.gt (local.get $v) (local.get $zero))))
        (v128.store align=4 (local.get $y) (f32x4.mul (local.get $u) (local.get $e)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $n4 (i32.sub (local.get $n4) (i32.const 1)))
        (br $next))))

  ;; Its gradient, σ recomputed the same way.
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
        ;; the gate's argument u·c·(1 + k3·u²), then z = max(−|·|, −87)
        (local.set $v
          (f32x4.mul (f32x4.mul (local.get $u) (local.get $cz))
            (f32x4.relaxed_madd (f32x4.mul (local.get $u) (local.get $u)) (local.get $k3) (local.get $one))))
        (local.set $z (f32x4.pmax (v128.or (local.get $v) (local.get $sign)) (local.get $floor)))
        (local.set $n (f32x4.relaxed_madd (local.get $z) (local.get $log2e) (local.get $magic)))
        (local.set $s (i32x4.shl (local.get $n) (i32.const 23)))
        (local.set $n (f32x4.sub (local.get $n) (local.get $magic)))
        (local.set $r (f32x4.relaxed_madd (local.get $n) (local.get $ln2hi) (local.get $z)))
        (local.set $r (f32x4.relaxed_madd (local.get $n) (local.get $ln2lo) (local.get $r)))
        ;; e^r = 1 + r(1 + r(½ + r(⅙ + r(1/24 + r(1/120 + r/720)))))
        (local.set $p (f32x4.relaxed_madd (local.get $c6) (local.get $r) (local.get $c5)))
        (local.set $p (f32x4.relaxed_madd (local.get $p) (local.get $r) (local.get $c4)))
        (local.set $p (f32x4.relaxed_madd (local.get $p) (local.get $r) (local.get $c3)))
        (local.set $p (f32x4.relaxed_madd (local.get $p) (local.get $r) (local.get $c2)))
        (local.set $p (f32x4.relaxed_madd (local.get $p) (local.get $r) (local.get $one)))
        (local.set $p (f32x4.relaxed_madd (local.get $p) (local.get $r) (local.get $one)))
        ;; f = 2^n·e^r; σ(−|x|) = f/(1 + f); σ(x) = 1 − that for x > 0
        (local.set $e (f32x4.mul (local.get $s) (local.get $p)))
        (local.set $e (f32x4.div (local.get $e) (f32x4.add (local.get $e) (local.get $one))))
        (local.set $e
          (v128.bitselect (f32x4.sub (local.get $one) (local.get $e)) (local.get $e)
            (f32x4.gt (local.get $v) (local.get $zero))))
        ;; dx = dy·(σ + u·σ(1 − σ)·c·(1 + 3k3·u²))
        (v128.store align=4 (local.get $dx)
          (f32x4.mul (v128.load align=4 (local.get $dy))
            (f32x4.relaxed_madd
              (f32x4.mul (f32x4.mul (local.get $u) (local.get $e)) (f32x4.sub (local.get $one) (local.get $e)))
              (f32x4.mul (local.get $cz)
                (f32x4.relaxed_madd (f32x4.mul (local.get $u) (local.get $u)) (local.get $k33) (local.get $one)))
              (local.get $e))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
        (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
        (local.set $n4 (i32.sub (local.get $n4) (i32.const 1)))
        (br $next))))
)
