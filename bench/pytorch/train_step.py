"""Times, in PyTorch, the training step that `npx dgiqa bench --config demo --batch 8 --what train` times.

  python3 bench/pytorch/train_step.py --config demo --batch 8 --threads 1 --steps 5 --warmup 2 [--blas-threads 1] [--device cuda]

The step is the kit's (src/cli/bench.ts BenchRunner.step -> src/train/step.ts trainStep):
- random weights and one fixed random batch: rgb, depth ~ N(0, 1) [B, 3, S, S], labels ~ U(0, 1) [B];
- model in train mode with the preset's dropout rates (demo: all 0);
- loss = MSE(labels, s) + lambda * MSE(s, s_flip), lambda = 1 (the bench's BENCH_LAMBDA), where s_flip
  are the scores of the horizontally flipped rgb and depth. As the kit does in training, the batch and
  its flip run as ONE forward of a stacked batch of 2B ("lanes"), BatchNorm normalising each lane with
  its own statistics (dgiqa_demo.LaneBatchNorm2d);
- backward, then torch.optim.AdamW with the kit's ADAMW_DEFAULTS (betas 0.9, 0.999, eps 1e-8, weight
  decay 0.01) at the bench's lr 1e-4, and the loss read back (.item()).
With --what forward: the eval-mode forward of the batch under torch.no_grad() (scores read back), as
`npx dgiqa bench --what forward` times it.
Not done here: the kit's finiteness check of the gradients (a few kernels over the concatenated
gradients) before it applies the update. Warm-up steps are untimed; the median of the timed steps gives
images/s = batch / median step seconds, as the kit's bench. Prints one JSON line. With --device cuda
(bench/gpu/run.sh) each timed step ends with torch.cuda.synchronize() (the loss read back already
waits for it) and the line adds the GPU's name and torch.cuda.max_memory_allocated.
"""
import argparse
import json
import os
import platform
import statistics
import time

torch = None  # imported in main(), after the thread count is in the environment

BENCH_LAMBDA = 1.0  # src/cli/bench.ts
BENCH_LR = 1e-4  # src/cli/bench.ts
ADAMW = dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)  # src/train/adamw.ts ADAMW_DEFAULTS
SEED = 1


def blas_library() -> str:
    """The BLAS this process really loaded (Debian switches libblas.so.3 by update-alternatives)."""
    try:
        with open('/proc/self/maps') as f:
            paths = {line.split()[-1] for line in f if 'blas' in line.lower() and '/' in line}
        return ', '.join(sorted(os.path.realpath(p) for p in paths)) or 'none found'
    except OSError:
        return 'unknown'


def cpu_model() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--config', default='demo', help='a preset name (paper, tiny, demo, small) or a config JSON file')
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--steps', type=int, default=5)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--what', choices=['train', 'forward'], default='train')
    ap.add_argument('--blas-threads', type=int, default=1,
                    help="OpenBLAS's own thread pool (default 1: see below)")
    ap.add_argument('--device', default='cpu', help='cpu, or cuda on a GPU machine')
    a = ap.parse_args()
    # Debian's torch calls the system libblas.so.3 (OpenBLAS with libopenblas0 installed, else the slow
    # reference BLAS). Its pthread build keeps a pool of its own, sized from the environment when it
    # loads, beside PyTorch's OpenMP pool of --threads: 2 and 2 on this 2-core machine oversubscribe
    # it (measured: about 10 images/s, against 24-29 with --blas-threads 1), so BLAS runs on one.
    os.environ['OMP_NUM_THREADS'] = str(a.threads)
    os.environ['OPENBLAS_NUM_THREADS'] = str(a.blas_threads)
    global torch
    import torch
    import torch.nn.functional as F
    from dgiqa_demo import Dgiqa
    torch.set_num_threads(a.threads)
    torch.manual_seed(SEED)
    config = a.config
    if config.endswith('.json'):
        with open(config) as f:
            config = json.load(f)
    dev = torch.device(a.device)
    model = Dgiqa(config).to(dev)
    c = model.config
    b, s = a.batch, c['imgSize']
    rgb = torch.randn(b, 3, s, s).to(dev)
    depth = torch.randn(b, 3, s, s).to(dev) if c['useDepth'] else None
    labels = torch.rand(b).to(dev)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=BENCH_LR, **ADAMW)
    # the batch and its flip stacked once, outside the timed steps (the bench's batch is fixed too)
    stacked = lambda x: torch.cat([x, x.flip(3)], 0)

    def step() -> float:
        opt.zero_grad(set_to_none=True)
        scores = model(stacked(rgb), stacked(depth) if depth is not None else None, lanes=2)['scores']
        loss = F.mse_loss(scores[:b], labels) + BENCH_LAMBDA * F.mse_loss(scores[:b], scores[b:])
        loss.backward()
        opt.step()
        return loss.item()

    def forward() -> float:
        with torch.no_grad():
            return model(rgb, depth)['scores'].sum().item()

    if a.what == 'forward':
        model.eval()
        step = forward  # noqa: F811 (the timed function)
    for _ in range(a.warmup):
        step()
    wall, cpu = [], []
    for _ in range(a.steps):
        c0, t0 = time.process_time(), time.perf_counter()
        step()
        if dev.type == 'cuda':
            torch.cuda.synchronize()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    med = statistics.median(wall)
    gpu = {'gpu': torch.cuda.get_device_name(dev), 'gpu_peak_allocated_mb': round(torch.cuda.max_memory_allocated(dev) / 2**20, 1)} if dev.type == 'cuda' else {}
    print(json.dumps({**gpu, 'device': a.device,
        'engine': 'pytorch', 'torch': torch.__version__, 'threads': a.threads, 'blas_threads': a.blas_threads,
        'config': a.config, 'batch': b, 'what': a.what, f'{a.what}_ips': round(b / med, 3), f'{a.what}_step_s': round(med, 4),
        f'{a.what}_cpu_s': round(statistics.median(cpu), 4), 'step_s_all': [round(x, 4) for x in wall],
        'steps': a.steps, 'warmup': a.warmup,
        'params': sum(p.numel() for p in model.parameters()),
        'machine': {'cpu': cpu_model(), 'cores': os.cpu_count(), 'loadavg': [round(x, 2) for x in os.getloadavg()],
                    'python': platform.python_version(),
                    'blas': blas_library()},
    }))


if __name__ == '__main__':
    main()
