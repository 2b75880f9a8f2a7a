export { vjp, type Cotangents } from './vjp.js';
export { grad, valueAndGrad, type GradOptions, type GradsFor } from './grad.js';
export { stopGradient, noGrad, customVjp, type CustomVjp } from './control.js';
export { checkpoint } from './checkpoint.js';
export { gradcheck, type GradcheckResult } from './gradcheck.js';
export { vjpRules } from './rules.js';
export type { TensorVjp, VjpRule } from './rule.js';
export { unbroadcast } from './unbroadcast.js';
