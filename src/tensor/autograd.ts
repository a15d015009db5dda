/**
 * Reverse-mode autodiff over the define-by-run graph that ops record in `Tensor.node`.
 * 1. Order every recorded tensor reachable from the root, inputs before outputs.
 * 2. Walk that order backwards; each node accumulates into its inputs' gradient buffers.
 * 3. Leaf tensors that require grad keep their gradient in `.grad` (accumulating across calls);
 *    intermediate gradients are pooled temporaries freed as soon as their node has run.
 */
import { LlmkError } from '../errors.js';
import { type GradSink, shapeString, type Tensor } from './tensor.js';

export function backward(root: Tensor, gradient?: Tensor, retainGraph = false): void {
  const engine = root.engine;
  if (!root.requiresGrad) {
    throw new LlmkError(
      'LLMK_E_GRAD',
      `backward() on a tensor ${shapeString(root.shape)} that does not require grad`,
      'create parameters with requiresGrad (nn.Parameter) and do not run the forward inside noGrad()',
    );
  }
  if (!gradient && root.size !== 1) {
    throw new LlmkError(
      'LLMK_E_GRAD',
      `backward() on a non-scalar tensor ${shapeString(root.shape)} without a gradient`,
      'reduce it to a scalar (sum or mean) first, or pass backward(gradient) with the same shape',
    );
  }
  if (gradient && gradient.shape.join(',') !== root.shape.join(',')) {
    throw new LlmkError(
      'LLMK_E_SHAPE',
      `backward() gradient ${shapeString(gradient.shape)} does not match tensor ${shapeString(root.shape)}`,
      'pass a gradient of the same shape as the tensor',
    );
  }

  // 1. Topological order (iterative DFS: deep graphs must not overflow the JS stack).
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: Array<[Tensor, number]> = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const input = inputs[i];
      if (input.requiresGrad && input.node && !visited.has(input)) {
        visited.add(input);
        stack.push([input, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }

  // 2. Walk backwards, accumulating.
  engine.noGrad(() => {
    const grads = new Map<Tensor, Tensor>();
    const rootGrad = engine.empty(root.shape, root.dtype, { persistent: true });
    if (gradient) engine.copyInto(rootGrad, gradient);
    else rootGrad.values().fill(1);
    grads.set(root, rootGrad);

    const sink: GradSink = {
      grad(input: Tensor): Tensor | null {
        if (!input.requiresGrad) return null;
        if (!input.node) {
          // A leaf: its gradient persists on the tensor and accumulates across backward calls.
          if (!input.grad) {
            input.grad = engine.empty(input.shape, input.dtype, { persistent: true });
          }
          return input.grad;
        }
        let g = grads.get(input);
        if (!g) {
          g = engine.empty(input.shape, input.dtype, { persistent: true });
          grads.set(input, g);
        }
        return g;
      },
    };

    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const g = grads.get(t);
      const node = t.node;
      if (!g || !node) continue;
      engine.scope(() => node.backward(g, sink));
      grads.delete(t);
      g.dispose();
      if (!retainGraph) t.node = null;
    }
  });
}
