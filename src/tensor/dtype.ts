/**
 * Element types. f32 is the compute type; f64 exists for finite-difference gradient checks on the
 * reference backend; i32 carries token ids, targets and indices. (f16/bf16 are converted to f32 at
 * load time; i8/u8 storage arrives with quantization.)
 */
export type DType = 'f32' | 'f64' | 'i32';

export type TypedArrayOf<D extends DType> = D extends 'f32'
  ? Float32Array
  : D extends 'f64'
    ? Float64Array
    : Int32Array;

export type AnyArray = Float32Array | Float64Array | Int32Array;

export const BYTES_PER_ELEMENT: Record<DType, number> = { f32: 4, f64: 8, i32: 4 };

export function allocArray(dtype: DType, n: number): AnyArray {
  switch (dtype) {
    case 'f32':
      return new Float32Array(n);
    case 'f64':
      return new Float64Array(n);
    case 'i32':
      return new Int32Array(n);
  }
}

export function dtypeOf(array: AnyArray): DType {
  if (array instanceof Float32Array) return 'f32';
  if (array instanceof Float64Array) return 'f64';
  return 'i32';
}

export function isFloat(dtype: DType): boolean {
  return dtype !== 'i32';
}
