"""The PyG layers on arbitrary graphs: dense reference formulas, batching over
``node_dim``, gradients, errors."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gast_pyg.nn import (
    ChannelsLastBatchNorm,
    GlobalGraphAttention,
    GraphAttentionBlock,
    LocalAttention,
    SemGraphConv,
    complete_edge_index,
)
from gast_pyg.nn import _kernels
from gast_pyg.nn._kernels import dropout, inplace_relu, pointwise


def random_graph(num_nodes: int = 7, self_loops: bool = True) -> torch.Tensor:
    """A directed graph that is no skeleton: a ring, some chords, optional self-loops."""
    src = list(range(num_nodes)) + [0, 3, 5, 2]
    dst = [(i + 1) % num_nodes for i in range(num_nodes)] + [4, 0, 1, 6]
    if self_loops:
        src += list(range(num_nodes))
        dst += list(range(num_nodes))
    return torch.tensor([src, dst])


def dense_sem_graph_conv(conv: SemGraphConv, x: torch.Tensor) -> torch.Tensor:
    """Eq. 2 written with dense per-channel matrices, as the reference does."""
    n, c = conv.num_nodes, conv.out_channels
    src, dst = conv.edge_index
    logits = torch.full((c, n, n), float('-inf'))
    logits[:, dst, src] = conv.edge_logit.t().expand(c, -1)
    adj = torch.softmax(logits, dim=-1).nan_to_num(0.0)
    eye = torch.eye(n)
    h_self = x @ conv.weight[:c].t()
    h_neigh = x @ conv.weight[c:].t()
    return (torch.einsum('cij,...jc->...ic', adj * eye, h_self)
            + torch.einsum('cij,...jc->...ic', adj * (1 - eye), h_neigh))


@pytest.mark.parametrize('channelwise', [True, False])
@pytest.mark.parametrize('self_loops', [True, False])
def test_sem_graph_conv_matches_dense_formula(channelwise, self_loops):
    edge_index = random_graph(self_loops=self_loops)
    conv = SemGraphConv(5, 6, edge_index, channelwise=channelwise)
    torch.nn.init.normal_(conv.edge_logit)
    x = torch.randn(3, 4, 7, 5)
    torch.testing.assert_close(conv(x), dense_sem_graph_conv(conv, x), atol=1e-5, rtol=1e-5)


def test_sem_graph_conv_weights_sum_to_one_per_node():
    conv = SemGraphConv(4, 3, random_graph())
    torch.nn.init.normal_(conv.edge_logit)
    alpha = conv.edge_weights()
    sums = torch.zeros(7, 3).index_add_(0, conv.edge_index[1], alpha)
    torch.testing.assert_close(sums, torch.ones(7, 3))


def layers_on(edge_index: torch.Tensor):
    n = 7
    return [
        SemGraphConv(8, 8, edge_index, n),
        GlobalGraphAttention(8, n, heads=2),
        GlobalGraphAttention(8, n, heads=4, edge_index=edge_index),
        LocalAttention(8, edge_index, random_graph(n, self_loops=False), n),
        GraphAttentionBlock(8, 16, n, edge_index, edge_index),
    ]


@pytest.mark.parametrize('index', range(5))
def test_batched_equals_per_frame_loop(index):
    layer = layers_on(random_graph())[index]
    for p in layer.parameters():
        torch.nn.init.normal_(p, std=0.3)
    layer.eval()
    x = torch.randn(2, 3, 7, 8)
    with torch.no_grad():
        batched = layer(x)
        looped = torch.stack([torch.stack([layer(x[b, t]) for t in range(3)]) for b in range(2)])
        flat = layer(x.reshape(6, 7, 8)).reshape(batched.shape)
    torch.testing.assert_close(batched, looped, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(batched, flat, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('index', range(5))
def test_gradients_reach_every_parameter(index):
    layer = layers_on(random_graph())[index].train()
    x = torch.randn(2, 3, 7, 8, requires_grad=True)
    layer(x).square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    for name, p in layer.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_global_attention_dense_path_equals_message_passing():
    layer = GlobalGraphAttention(12, 7, heads=3).eval()
    for p in layer.parameters():
        torch.nn.init.normal_(p, std=0.5)
    x = torch.randn(4, 7, 12)
    with torch.no_grad():
        dense, (ei_dense, alpha_dense) = layer(x, return_attention_weights=True)
        sparse, (ei_sparse, alpha_sparse) = layer(x, complete_edge_index(7),
                                                  return_attention_weights=True)
    assert torch.equal(ei_dense, ei_sparse)
    torch.testing.assert_close(dense, sparse, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(alpha_dense, alpha_sparse, atol=1e-6, rtol=1e-5)


def test_global_attention_fused_projection_is_reused_in_eval_mode_only():
    layer = GlobalGraphAttention(12, 7, heads=3).eval()
    for p in layer.parameters():
        torch.nn.init.normal_(p, std=0.5)
    x = torch.randn(2, 7, 12)
    with torch.no_grad():
        before = layer(x)
        layer.fuse_projection()
        torch.testing.assert_close(layer(x), before, atol=0, rtol=0)
        layer.lin_theta.weight.mul_(2)  # not seen by the fused copy in eval mode ...
        torch.testing.assert_close(layer(x), before, atol=0, rtol=0)
        layer.train()  # ... computed afresh in training mode
        layer.dropout = 0.0
        layer.norm.eval()
        assert not torch.allclose(layer(x), before)
    assert 'fused_weight' not in layer.state_dict()


def test_sem_graph_conv_cached_edge_weights_are_reused_in_eval_mode_on_its_own_graph_only():
    edge_index = random_graph()
    conv = SemGraphConv(5, 6, edge_index, num_nodes=7).eval()
    torch.nn.init.normal_(conv.edge_logit)
    x = torch.randn(3, 7, 5)
    with torch.no_grad():
        before = conv(x)
        conv.cache_edge_weights()
        torch.testing.assert_close(conv(x), before, atol=0, rtol=0)
        conv.edge_logit.mul_(2)  # not seen by the cached copy in eval mode ...
        torch.testing.assert_close(conv(x), before, atol=0, rtol=0)
        changed = conv(x, edge_index.clone())  # ... nor on another graph object, which recomputes
        assert not torch.allclose(changed, before)
        conv.train()  # ... and computed afresh in training mode
        torch.testing.assert_close(conv(x), changed, atol=0, rtol=0)
    assert 'cached_alpha_self' not in conv.state_dict()


def test_global_attention_matches_dense_formula_on_a_sparse_graph():
    edge_index = random_graph()
    layer = GlobalGraphAttention(8, 7, heads=2, edge_index=edge_index).eval()
    for p in layer.parameters():
        torch.nn.init.normal_(p, std=0.5)
    x = torch.randn(5, 7, 8)
    with torch.no_grad():
        heads, alpha = layer.attention_heads(x)
    src, dst = edge_index
    outs = []
    for k in range(2):
        rows = slice(4 * k, 4 * k + 4)
        g = F.linear(x, layer.lin_g.weight[rows], layer.lin_g.bias[rows])
        theta = F.linear(x, layer.lin_theta.weight[rows], layer.lin_theta.bias[rows])
        phi = F.linear(x, layer.lin_phi.weight[rows], layer.lin_phi.bias[rows])
        score = theta @ layer.att_theta[k].detach()
        score = score[:, :, None] + (phi @ layer.att_phi[k].detach())[:, None, :]
        mask = torch.zeros(7, 7, dtype=torch.bool)
        mask[dst, src] = True
        b = torch.softmax(F.leaky_relu(score, 0.2).masked_fill(~mask, float('-inf')), -1)
        coef = (b + layer.adaptive[k].detach()) * mask
        outs.append(coef @ g)
        expected_alpha = b[:, dst, src]
        torch.testing.assert_close(alpha[..., k], expected_alpha, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(heads, torch.cat(outs, -1), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('attention,adaptive', [(True, False), (False, True)])
def test_global_attention_ablations(attention, adaptive):
    layer = GlobalGraphAttention(8, 7, attention=attention, adaptive=adaptive)
    names = {name for name, _ in layer.named_parameters()}
    assert ('att_theta' in names) == attention
    assert ('adaptive' in names) == adaptive
    assert layer(torch.randn(3, 7, 8)).shape == (3, 7, 8)


def test_global_attention_without_both_terms_is_refused():
    with pytest.raises(ValueError, match='at least one'):
        GlobalGraphAttention(8, 7, attention=False, adaptive=False)


def test_global_attention_heads_must_divide_channels():
    with pytest.raises(ValueError, match='heads=3'):
        GlobalGraphAttention(8, 7, heads=3)


def test_adaptive_matrix_starts_at_zero_and_edge_logits_at_one():
    layer = GlobalGraphAttention(8, 7)
    assert torch.equal(layer.adaptive, torch.zeros(4, 7, 7))
    conv = SemGraphConv(3, 5, random_graph())
    assert torch.equal(conv.edge_logit, torch.ones(conv.edge_index.size(1), 5))


def test_reset_parameters_restores_initial_state():
    conv = SemGraphConv(3, 5, random_graph())
    torch.nn.init.normal_(conv.edge_logit)
    conv.reset_parameters()
    assert torch.equal(conv.edge_logit, torch.ones_like(conv.edge_logit))
    block = GraphAttentionBlock(8, 16, 7, random_graph(), random_graph())
    torch.nn.init.normal_(block.glob.adaptive)
    block.reset_parameters()
    assert block.glob.adaptive.abs().sum() == 0


def test_wrong_shapes_are_named():
    conv = SemGraphConv(4, 6, random_graph())
    with pytest.raises(ValueError, match=r'\(\*, 7, 4\), got \(2, 8, 4\)'):
        conv(torch.randn(2, 8, 4))
    with pytest.raises(ValueError, match='built for 18 edges'):
        conv(torch.randn(7, 4), random_graph(self_loops=False))
    with pytest.raises(ValueError, match=r'\(\*, 7, 8\), got \(7, 6\)'):
        GlobalGraphAttention(8, 7)(torch.randn(7, 6))
    with pytest.raises(ValueError, match='shape'):
        SemGraphConv(4, 6, torch.zeros(3, 4, dtype=torch.long))


def test_repr_names_sizes():
    assert repr(SemGraphConv(4, 6, random_graph())) == \
        'SemGraphConv(4, 6, num_nodes=7, edges=18, channelwise=True)'
    assert repr(GlobalGraphAttention(8, 7, heads=2)) == \
        'GlobalGraphAttention(8, num_nodes=7, heads=2, attention=True, adaptive=True)'


def test_graph_buffers_follow_the_module_and_stay_out_of_the_state_dict():
    conv = SemGraphConv(4, 6, random_graph()).double()
    assert conv.edge_index.dtype == torch.long
    assert 'edge_index' in dict(conv.named_buffers())
    assert 'edge_index' not in conv.state_dict()
    assert conv.to('meta').edge_index.device.type == 'meta'


@pytest.mark.parametrize('mkl', [True, False])
def test_pointwise_computes_x_w_plus_b_on_either_gemm_backend(monkeypatch, mkl):
    # Intel CPUs take F.linear (MKL), others oneDNN's channels-last 1x1 convolution; few rows
    # always F.linear. All must agree with the definition.
    monkeypatch.setattr(_kernels, 'mkl_is_fast', lambda: mkl)
    weight, bias = torch.randn(9, 6), torch.randn(9)
    for shape in [(2, 40, 17, 6), (1, 1, 17, 6), (300, 6)]:
        x = torch.randn(shape)
        torch.testing.assert_close(pointwise(x, weight, bias), x @ weight.t() + bias,
                                   atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('mkl', [True, False])
def test_pointwise_gradients_on_either_gemm_backend(monkeypatch, mkl):
    # The oneDNN path has a backward pass of its own (transposed convolution, one matmul):
    # checked against finite differences, to second order, with and without a bias.
    monkeypatch.setattr(_kernels, 'mkl_is_fast', lambda: mkl)
    x = torch.randn(3, 30, 5, 6, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(pointwise, (x, weight, bias))
    assert torch.autograd.gradgradcheck(pointwise, (x, weight, bias))
    assert torch.autograd.gradcheck(lambda x, w: pointwise(x, w), (x, weight))
    frozen = weight.detach()  # only the input needs a gradient
    assert torch.autograd.gradcheck(lambda x: pointwise(x, frozen), (x,))


def test_pointwise_backward_under_autocast_matches_the_other_backend(monkeypatch):
    # Mixed precision: the oneDNN path's own backward runs under the forward's autocast state
    # and returns float32 gradients, as F.linear's does.
    grads = []
    for mkl in (False, True):
        monkeypatch.setattr(_kernels, 'mkl_is_fast', lambda: mkl)
        torch.manual_seed(0)
        x = torch.randn(4, 30, 5, 16, requires_grad=True)
        weight, bias = torch.randn(8, 16, requires_grad=True), torch.randn(8, requires_grad=True)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            out = pointwise(x, weight, bias)
        assert out.dtype == torch.bfloat16
        (out.float() ** 2).sum().backward()
        assert x.grad.dtype == weight.grad.dtype == bias.grad.dtype == torch.float32
        grads.append((x.grad, weight.grad, bias.grad))
    for ours, linear in zip(*grads):
        torch.testing.assert_close(ours, linear, rtol=3e-2, atol=0.5)


def test_dropout_keeps_each_element_with_probability_1_minus_p():
    torch.manual_seed(0)
    x = torch.rand(250_000, 4) + 1  # no zeros: kept <=> nonzero
    y = dropout(x, 0.05)
    kept = y != 0
    # Every one of the four 16-bit lanes of a 64-bit draw is uniform (a draw whose top bit
    # were always 0 would keep every fourth element); 5 binomial standard deviations.
    torch.testing.assert_close(kept.double().mean(0), torch.full((4,), 0.95, dtype=torch.float64),
                               atol=5 * (0.05 * 0.95 / 250_000) ** 0.5, rtol=0)
    levels = round(0.05 * 2**16)
    torch.testing.assert_close(y[kept], x[kept] * 2**16 / (2**16 - levels))  # exact expectation
    assert not torch.equal(kept, dropout(x, 0.05) != 0)  # a new mask each call
    torch.manual_seed(1)
    again = dropout(x, 0.05)
    torch.manual_seed(1)
    assert torch.equal(dropout(x, 0.05), again)  # reproducible from the seed


def test_dropout_gradient_is_the_mask_times_the_scale():
    x = (torch.rand(7, 9, 5, 3) + 1).requires_grad_()
    y = dropout(x, 0.3)
    grad = torch.randn_like(y)
    y.backward(grad)
    torch.testing.assert_close(x.grad, grad * y.detach() / x.detach())
    strided = torch.rand(6, 8).t() + 1  # any layout: the same mask as its contiguous copy
    torch.manual_seed(2)
    expected = dropout(strided.contiguous(), 0.5)
    torch.manual_seed(2)
    assert torch.equal(dropout(strided, 0.5), expected)


def test_dropout_edge_cases():
    x = torch.randn(4, 5)
    assert dropout(x, 0.5, training=False) is x and dropout(x, 0.0) is x
    assert torch.equal(dropout(x, 1.0), torch.zeros_like(x))
    for p in (-0.1, 1.5, float('nan')):
        with pytest.raises(ValueError, match=r'dropout probability must be in \[0, 1\]'):
            dropout(x, p)


def test_relu_after_a_channels_last_batch_norm_records_no_copy_of_the_gradient():
    norm = ChannelsLastBatchNorm(4)
    x = torch.randn(2, 3, 5, 4, requires_grad=True)
    y = inplace_relu(norm(x))
    assert type(y.grad_fn).__name__ == 'ReluBackward0'  # not CopySlices (in place on a view)
    y.sum().backward()
    reference = x.detach().clone().requires_grad_()
    F.relu(norm(reference)).sum().backward()
    torch.testing.assert_close(x.grad, reference.grad)
    with torch.no_grad():
        z = norm.eval()(x)
        assert inplace_relu(z) is z  # in place without autograd
