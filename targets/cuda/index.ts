// The CUDA C target: kernels.cu from Kernel IR (module.ts), on the c-style printer base.
export { printCudaModule, type CudaModule, type PrintedCudaKernel } from './module.js';
export { CUDA_DIALECT, cudaIdentifier, storageType } from './dialect.js';
export { CUDA_PRELUDE } from './prelude.js';
export { formatResources, parsePtxasReport, type KernelResources } from './ptxas-report.js';
