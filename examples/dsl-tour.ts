// The README's DSL example, kept here so that typecheck and the tests keep it true.
import { type Tensor, add, crossEntropy, dim, matmul, random, tensor, zeros } from '@safekey-ts/core';
import { valueAndGrad } from '@safekey-ts/autograd';

const B = dim('B', 4), C = dim('C', 8), K = dim('K', 3);
const x = random.normal(random.key(0), [B, C]);            // Tensor<[Dim<'B'>, Dim<'C'>], 'float32'>
const w = zeros([C, K]);
const logits = matmul(x, w);                                // Tensor<[Dim<'B'>, Dim<'K'>], 'float32'>
// matmul(x, zeros([K, C]));                                // compile error: contracted dims 'C' and 'K' differ
const z = add(tensor([[1, 2, 3], [4, 5, 6]]), tensor([10, 20, 30]));   // Tensor<[2, 3], 'float32'>, broadcast

const labels = tensor([0, 2, 1, 1], 'int32');
const loss = (p: { w: Tensor; b: Tensor }) => crossEntropy(add(matmul(x, p.w), p.b), labels);
const [value, grads] = valueAndGrad(loss)({ w, b: zeros([K]) });       // grads: { w: Tensor; b: Tensor }

console.log(logits.shape, z.toArray(), value.item(), grads.w.shape, grads.b.shape);
