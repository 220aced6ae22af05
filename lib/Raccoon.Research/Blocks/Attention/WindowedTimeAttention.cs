using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Attention;

/// <summary>
/// The path flow's time attention (upstream PosteriorAffine.get_coeffs): L values sit at key times
/// tau_j = j / (L - 1) in [0, 1]; a query at time t reads sum_j w_j v_j with w = softmax_j(-(L (tau_j - t))^2).
/// Global (<c>window</c> null): all L keys, a (B, Q, L) weight matrix, O(Q L) time and memory; upstream wrote the
/// same sum with the values repeated per query (<see cref="RepeatPerQuery"/>, O(Q L H) memory).
/// Windowed: only the w keys nearest to t (a contiguous run centred on round(t (L - 1)), shifted inside
/// [0, L)), O(Q w H) time and memory; a window of L or more is the global attention. No parameters.
/// </summary>
public sealed class WindowedTimeAttention : nn.Module
{
    public int? Window { get; }

    public WindowedTimeAttention(int? window = null, string name = "windowed_time_attention") : base(name)
    {
        if (window is < 1) throw new ArgumentException($"the attention window must be at least 1, got {window}");
        Window = window;
        RegisterComponents();
    }

    /// <summary>values (B, L, H), query times (B, Q) -> (B, Q, H).</summary>
    public Tensor Attend(Tensor values, Tensor queries)
    {
        if (values.dim() != 3) throw new ArgumentException($"values must be (batch, keys, features), got ({string.Join(", ", values.shape)})");
        if (queries.dim() != 2 || queries.shape[0] != values.shape[0])
            throw new ArgumentException($"query times must be (batch = {values.shape[0]}, queries), got ({string.Join(", ", queries.shape)})");
        return Window is int w ? Windowed(values, queries, w) : Global(values, queries);
    }

    /// <summary>All keys: softmax over L, then one batched matmul.</summary>
    public static Tensor Global(Tensor values, Tensor queries)
    {
        long L = values.shape[1];
        var tau = linspace(0, 1, L, dtype: values.dtype).view(1, 1, L);                // (1, 1, L)
        var weights = (-(L * (tau - queries.unsqueeze(2))).square()).softmax(-1);      // (B, Q, L)
        return bmm(weights, values);                                                   // (B, Q, H)
    }

    /// <summary>Upstream's form (PosteriorAffine.get_coeffs): the values repeated once per query (repeat_interleave)
    /// and weighted elementwise, B Q L H floats; the same weights and result as <see cref="Global"/>.</summary>
    public static Tensor RepeatPerQuery(Tensor values, Tensor queries)
    {
        long B = values.shape[0], L = values.shape[1], Q = queries.shape[1];
        var rep = values.repeat_interleave(Q, 0);                                      // (B Q, L, H)
        var t = queries.reshape(B * Q, 1);
        var tau = linspace(0, 1, L, dtype: values.dtype).unsqueeze(0);                 // (1, L)
        var c = (-(L * (tau - t)).square()).softmax(-1);                               // (B Q, L)
        return (rep * c.unsqueeze(2)).sum(1).view(B, Q, -1);                           // (B, Q, H)
    }

    /// <summary>The w nearest keys of each query (all of them when w >= L).</summary>
    public static Tensor Windowed(Tensor values, Tensor queries, int window)
    {
        if (window < 1) throw new ArgumentException($"the attention window must be at least 1, got {window}");
        long B = values.shape[0], L = values.shape[1], H = values.shape[2], Q = queries.shape[1];
        long w = Math.Min(window, L);
        var center = (queries * (L - 1)).round().clamp(0, L - 1).to_type(ScalarType.Int64);   // (B, Q)
        var start = (center - (w - 1) / 2).clamp(0, L - w);                                      // (B, Q)
        var index = start.unsqueeze(2) + arange(w, dtype: ScalarType.Int64).view(1, 1, w);      // (B, Q, w)
        var tau = L == 1 ? zeros_like(index, dtype: values.dtype) : index.to_type(values.dtype) / (L - 1);
        var weights = (-(L * (tau - queries.unsqueeze(2))).square()).softmax(-1);               // (B, Q, w)
        var flat = (index + (arange(B, dtype: ScalarType.Int64) * L).view(B, 1, 1)).flatten(); // (B Q w)
        var gathered = values.reshape(B * L, H).index_select(0, flat).view(B, Q, w, H);         // (B, Q, w, H)
        return (gathered * weights.unsqueeze(3)).sum(2);                                        // (B, Q, H)
    }
}
