"""DGIQA (Ramesh, Liu, Wang, Islam; arXiv 2505.24002) in PyTorch: a reference for the kit's benchmarks.

Written for this kit (no code taken from the official repository or timm), to compute what the kit's
src/model computes, with the official state-dict names (timm `features_only` Swin keys, the authors'
TCB / Depth-CAR / dilated-stack names), so the kit's safetensors checkpoints load with a strict match:

  RGB   -> Swin -> 4 stage maps -> TCB each -> bilinear resize to stage `fuseStage`'s side -> concat
  depth -> Swin -> 4 stage maps -> TCB each -> resize -> concat
  Depth-CAR (query depth, key/value RGB) -> refinement self-attention
  dilated convs (2, 4) -> global average pool -> linear -> sigmoid = quality in [0, 1]

Inputs are NCHW [B, 3, S, S], ImageNet-normalised (the kit takes the same values as NHWC).
`lanes=2` in `forward` is the kit's stacked training batch (an image batch and its flip as one batch
of 2B): BatchNorm then normalises each lane with its own statistics and updates its running
statistics once per lane, in order, as two forwards in a row would (src/model/layers.ts BatchNorm2d).
"""
import math
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

# --- every default in one block: the kit's PAPER_CONFIG (src/model/config.ts) and its presets ---
PAPER = dict(
    imgSize=224, patchSize=4, embedDim=96, depths=[2, 2, 6, 2], numHeads=[3, 6, 12, 24], windowSize=7,
    mlpRatio=4, tcbOut=[64, 128, 256, 512], seReduction=16, attnHeads=16, dilationChannels=1024,
    dilations=[2, 4], fuseStage=4, tcb=True, depthCar=True, dilation=True, useDepth=True,
    dropPathRate=0.1, dropout=0.1, tcbDropout=0.1,
)
PRESETS = {
    'paper': {},
    'tiny': dict(embedDim=16, depths=[2, 2, 2, 2], numHeads=[1, 2, 4, 8], tcbOut=[8, 16, 32, 64],
                 seReduction=4, attnHeads=4, dilationChannels=32),
    'demo': dict(imgSize=128, windowSize=4, embedDim=16, depths=[2, 2, 2, 2], numHeads=[1, 2, 4, 8],
                 tcbOut=[8, 16, 32, 64], seReduction=4, attnHeads=4, dilationChannels=32, fuseStage=3,
                 dropPathRate=0.0, dropout=0.0, tcbDropout=0.0),
    'small': dict(embedDim=32, depths=[2, 2, 2, 2], numHeads=[1, 2, 4, 8], tcbOut=[16, 32, 64, 128],
                  seReduction=4, attnHeads=4, dilationChannels=64),
}
LN_EPS = 1e-5  # nn.LayerNorm's default, as the kit
BN_EPS = 1e-5
MASKED = -100.0  # timm's value for attention across regions the cyclic shift brought together


def resolve_config(spec) -> dict:
    """A preset name or a (partial) config dict over the paper's defaults; unknown keys fail."""
    over = PRESETS[spec] if isinstance(spec, str) else spec
    unknown = sorted(set(over) - set(PAPER))
    if unknown:
        raise ValueError(f'unknown config keys: {unknown}')
    c = {**PAPER, **over}
    if not c['useDepth'] and c['depthCar']:
        raise ValueError('useDepth false needs depthCar false')
    return c


# --- small blocks ---

class DropPath(nn.Module):
    """Stochastic depth: drops the residual branch for whole samples (training only)."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = torch.empty((x.shape[0],) + (1,) * (x.dim() - 1), device=x.device).bernoulli_(1 - self.p)
        return x * keep / (1 - self.p)


class LaneBatchNorm2d(nn.BatchNorm2d):
    """nn.BatchNorm2d; in training with `lanes` > 1, each stacked lane normalised on its own."""

    lanes = 1  # set by Dgiqa.forward

    def forward(self, x):
        if self.training and self.lanes > 1:
            return torch.cat([super(LaneBatchNorm2d, self).forward(part) for part in x.chunk(self.lanes)], 0)
        return super().forward(x)


# --- Swin Transformer V1 (timm's layout: qkv packed, relative-position bias table, -100 shift mask) ---

def relative_position_index(w: int) -> torch.Tensor:
    ys, xs = torch.meshgrid(torch.arange(w), torch.arange(w), indexing='ij')
    coords = torch.stack([ys.flatten(), xs.flatten()])  # [2, N]
    rel = coords[:, :, None] - coords[:, None, :] + (w - 1)  # [2, N, N]
    return rel[0] * (2 * w - 1) + rel[1]


def shift_mask(w: int, side: int, shift: int) -> torch.Tensor:
    """[nW, N, N]: 0 within a region, MASKED across the nine regions a cyclic shift creates."""
    region = lambda v: 0 if v < side - w else (1 if v < side - shift else 2)
    label = torch.tensor([[region(y) * 3 + region(x) for x in range(side)] for y in range(side)])
    windows = label.view(side // w, w, side // w, w).permute(0, 2, 1, 3).reshape(-1, w * w)
    return (windows[:, :, None] != windows[:, None, :]).float() * MASKED


class WindowAttention(nn.Module):
    def __init__(self, dim: int, heads: int, window: int):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))
        self.register_buffer('relative_position_index', relative_position_index(window), persistent=False)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def forward(self, x, mask: Optional[torch.Tensor]):
        bw, n, c = x.shape
        q, k, v = self.qkv(x).view(bw, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        attn = (q * self.scale) @ k.transpose(-2, -1)  # [B*nW, heads, N, N]
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(n, n, -1)
        attn = attn + bias.permute(2, 0, 1)
        if mask is not None:
            nw = mask.shape[0]
            attn = (attn.view(bw // nw, nw, self.heads, n, n) + mask[None, :, None]).view(bw, self.heads, n, n)
        out = (attn.softmax(-1) @ v).transpose(1, 2).reshape(bw, n, c)
        return self.proj(out)


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()  # exact (erf) GELU
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class SwinBlock(nn.Module):
    """Channels-last [B, H, W, C] in and out, as timm's features_only Swin."""

    def __init__(self, dim, heads, side, window_size, mlp_ratio, shifted, drop_path):
        super().__init__()
        # a map no larger than the window is one unshifted window (timm)
        self.window = min(window_size, side)
        self.shift = window_size // 2 if shifted and side > window_size else 0
        self.norm1 = nn.LayerNorm(dim, eps=LN_EPS)
        self.attn = WindowAttention(dim, heads, self.window)
        self.norm2 = nn.LayerNorm(dim, eps=LN_EPS)
        self.mlp = Mlp(dim, dim * mlp_ratio)
        self.drop_path = DropPath(drop_path)
        self.register_buffer('attn_mask', shift_mask(self.window, side, self.shift) if self.shift else None, persistent=False)

    def forward(self, x):
        b, h, w, c = x.shape
        ws, s = self.window, self.shift
        y = self.norm1(x)
        if s:
            y = torch.roll(y, (-s, -s), (1, 2))
        win = y.view(b, h // ws, ws, w // ws, ws, c).permute(0, 1, 3, 2, 4, 5).reshape(-1, ws * ws, c)
        win = self.attn(win, self.attn_mask)
        y = win.view(b, h // ws, w // ws, ws, ws, c).permute(0, 1, 3, 2, 4, 5).reshape(b, h, w, c)
        if s:
            y = torch.roll(y, (s, s), (1, 2))
        x = x + self.drop_path(y)
        return x + self.drop_path(self.mlp(self.norm2(x)))


class PatchMerging(nn.Module):
    """2x2 neighbourhoods to channels in the order x[0::2,0::2], x[1::2,0::2], x[0::2,1::2], x[1::2,1::2]."""

    def __init__(self, dim: int):
        super().__init__()
        self.norm = nn.LayerNorm(4 * dim, eps=LN_EPS)
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)

    def forward(self, x):
        b, h, w, c = x.shape
        x = x.view(b, h // 2, 2, w // 2, 2, c).permute(0, 1, 3, 4, 2, 5).reshape(b, h // 2, w // 2, 4 * c)
        return self.reduction(self.norm(x))


class PatchEmbed(nn.Module):
    def __init__(self, patch: int, dim: int):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, patch, patch)
        self.norm = nn.LayerNorm(dim, eps=LN_EPS)

    def forward(self, x):
        return self.norm(self.proj(x).permute(0, 2, 3, 1))


class SwinStage(nn.Module):
    def __init__(self, dim_in, dim, depth, heads, side, c, dprs):
        super().__init__()
        self.downsample = PatchMerging(dim_in) if dim_in != dim else nn.Identity()
        self.blocks = nn.Sequential(*[
            SwinBlock(dim, heads, side, c['windowSize'], c['mlpRatio'], j % 2 == 1, dprs[j]) for j in range(depth)])

    def forward(self, x):
        return self.blocks(self.downsample(x))


class SwinBackbone(nn.Module):
    """Four stage maps, NHWC, without the final norm. Children named as timm's `features_only` keys."""

    def __init__(self, c):
        super().__init__()
        self.patch_embed = PatchEmbed(c['patchSize'], c['embedDim'])
        total = sum(c['depths'])
        dprs = [c['dropPathRate'] * i / (total - 1) if total > 1 else 0.0 for i in range(total)]
        side = c['imgSize'] // c['patchSize']
        at = 0
        for i, depth in enumerate(c['depths']):
            dim = c['embedDim'] * 2 ** i
            if i > 0:
                side //= 2
            stage = SwinStage(dim // 2 if i > 0 else dim, dim, depth, c['numHeads'][i], side, c, dprs[at:at + depth])
            self.add_module(f'layers_{i}', stage)
            at += depth
        self.stages = len(c['depths'])

    def forward(self, x) -> List[torch.Tensor]:
        y = self.patch_embed(x)
        outs = []
        for i in range(self.stages):
            y = getattr(self, f'layers_{i}')(y)
            outs.append(y)
        return outs


# --- DGIQA's own blocks ---

class Tcb(nn.Module):
    """Transformer-CNN Bridge: 1x1 conv, per-position squeeze-excitation gate, 3x3 conv, BN, ReLU, Dropout2d."""

    def __init__(self, cin, cout, reduction, drop):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 1)
        self.attention = nn.Sequential(nn.Conv2d(cout, cout // reduction, 1), nn.ReLU(),
                                       nn.Conv2d(cout // reduction, cout, 1), nn.Sigmoid())
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.norm = LaneBatchNorm2d(cout, eps=BN_EPS)
        self.dropout = nn.Dropout2d(drop)

    def forward(self, x):  # NCHW
        out = self.conv1(x)
        return self.dropout(F.relu(self.norm(self.conv2(out * self.attention(out)))))


class AttentionBlock(nn.Module):
    """Post-norm: x = LN(q + drop(MHA(q, kv, kv))); x = LN(x + drop(FC(x))). Names set by the caller."""

    def __init__(self, dim, heads, drop, names):
        super().__init__()
        self.names = names
        self.add_module(names[0], nn.MultiheadAttention(dim, heads, dropout=drop, batch_first=True))
        self.add_module(names[1], nn.LayerNorm(dim, eps=LN_EPS))
        self.add_module(names[2], nn.LayerNorm(dim, eps=LN_EPS))
        self.add_module(names[3], nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim)))
        self.drop = nn.Dropout(drop)

    def forward(self, q, kv):
        attn, norm1, norm2, fc = (getattr(self, n) for n in self.names)
        x = norm1(q + self.drop(attn(q, kv, kv, need_weights=False)[0]))
        return norm2(x + self.drop(fc(x)))


class Dgiqa(nn.Module):
    def __init__(self, config):
        super().__init__()
        c = self.config = resolve_config(config)
        self.backbone = SwinBackbone(c)
        if c['useDepth']:
            self.depth_backbone = SwinBackbone(c)
        widths = [c['embedDim'] * 2 ** i for i in range(4)]
        if c['tcb']:
            for i in range(4):
                self.add_module(f'tcb{i + 1}', Tcb(widths[i], c['tcbOut'][i], c['seReduction'], c['tcbDropout']))
            if c['useDepth']:
                for i in range(4):
                    self.add_module(f'tcb{i + 1}_depth', Tcb(widths[i], c['tcbOut'][i], c['seReduction'], c['tcbDropout']))
        fused = sum(c['tcbOut']) if c['tcb'] else sum(widths)
        self.fused_side = c['imgSize'] // c['patchSize'] // 2 ** (c['fuseStage'] - 1)
        if c['depthCar']:
            self.depth_guided_cross_attention = AttentionBlock(
                fused, c['attnHeads'], c['dropout'], ('multihead_attn', 'norm1', 'norm2', 'fc'))
            self.refinement_attention = AttentionBlock(
                fused, c['attnHeads'], c['dropout'], ('multihead_attn_spatial', 'norm1_spatial', 'norm2_spatial', 'fc_spatial'))
        # without Depth-CAR the two modalities are concatenated (the kit's reading of the ablation)
        stack_in = fused if c['depthCar'] or not c['useDepth'] else 2 * fused
        d1, d2 = c['dilations'] if c['dilation'] else (1, 1)
        ch = c['dilationChannels']
        self.dilated_stack = nn.Sequential(
            nn.Conv2d(stack_in, ch, 3, padding=d1, dilation=d1), LaneBatchNorm2d(ch, eps=BN_EPS), nn.ReLU(),
            nn.Conv2d(ch, ch, 3, padding=d2, dilation=d2), LaneBatchNorm2d(ch, eps=BN_EPS), nn.ReLU())
        self.fc = nn.Linear(ch, 1)

    def _bridge(self, stages: List[torch.Tensor], suffix: str) -> torch.Tensor:
        maps = [s.permute(0, 3, 1, 2) for s in stages]  # NHWC -> NCHW
        if self.config['tcb']:
            maps = [getattr(self, f'tcb{i + 1}{suffix}')(m) for i, m in enumerate(maps)]
        side = self.fused_side
        maps = [m if m.shape[-1] == side else F.interpolate(m, size=(side, side), mode='bilinear', align_corners=False)
                for m in maps]
        return torch.cat(maps, 1)

    def forward(self, rgb, depth=None, lanes: int = 1) -> Dict[str, torch.Tensor]:
        for m in self.modules():
            if isinstance(m, LaneBatchNorm2d):
                m.lanes = lanes
        fused_rgb = self._bridge(self.backbone(rgb), '')
        merged = fused_rgb
        fused_depth = None
        if self.config['useDepth']:
            fused_depth = self._bridge(self.depth_backbone(depth), '_depth')
            if self.config['depthCar']:
                b, c, h, w = fused_rgb.shape
                seq = lambda m: m.flatten(2).transpose(1, 2)  # [B, H*W, C]
                x = self.depth_guided_cross_attention(seq(fused_depth), seq(fused_rgb))
                x = self.refinement_attention(x, x)
                merged = x.transpose(1, 2).reshape(b, c, h, w)
            else:
                merged = torch.cat([fused_rgb, fused_depth], 1)
        refined = self.dilated_stack(merged)
        pooled = refined.mean((2, 3))
        scores = torch.sigmoid(self.fc(pooled)).view(-1)
        return dict(scores=scores, fused_rgb=fused_rgb, fused_depth=fused_depth, refined=refined, pooled=pooled)


# --- safetensors (float32 only; the format is an 8-byte header size, a JSON header, raw bytes) ---

def read_safetensors(path: str):
    import json
    import numpy as np
    with open(path, 'rb') as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], 'little')
    header = json.loads(raw[8:8 + n])
    meta = header.pop('__metadata__', {})
    dtypes = {'F32': np.float32, 'F64': np.float64, 'I64': np.int64, 'F16': np.float16}
    out = {}
    for name, t in header.items():
        a, b = t['data_offsets']
        arr = np.frombuffer(raw, dtype=dtypes[t['dtype']], count=(b - a) // np.dtype(dtypes[t['dtype']]).itemsize,
                            offset=8 + n + a)
        out[name] = torch.from_numpy(arr.reshape(t['shape']).copy()).float()
    return out, meta


def load_kit_weights(model: Dgiqa, tensors: Dict[str, torch.Tensor]) -> None:
    """Strict load: every parameter and BN statistic of the model, nothing unexpected."""
    ignored = ('num_batches_tracked', 'relative_position_index', 'attn_mask')
    state = {k: v for k, v in tensors.items() if not k.endswith(ignored)}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith(ignored)]
    if missing or unexpected:
        raise ValueError(f'checkpoint does not match the model: missing {missing[:6]}, unexpected {unexpected[:6]}')


if __name__ == '__main__':
    for name in PRESETS:
        m = Dgiqa(name)
        print(name, sum(p.numel() for p in m.parameters()))
