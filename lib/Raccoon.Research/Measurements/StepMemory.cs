namespace Raccoon.Research.Measurements;

/// <summary>
/// Peak bytes of one step, estimated from the sizes before it runs (never measured): the training state, four float32
/// copies of the parameters (weights, gradients and Adam's two moments; weights alone without gradients), plus the
/// activations, which grow with the batch: <see cref="FloatsPerSample"/> floats per sample (for a training step, what the
/// forward keeps for backward and the largest gradients backward makes; for an evaluation without gradients, the largest
/// tensors alive at once).
/// </summary>
/// <param name="Parameters">Trainable parameters of the model.</param>
/// <param name="FloatsPerSample">Activation floats per sample of the batch.</param>
/// <param name="Batch">The batch the step runs on.</param>
/// <param name="Training">A training step with Adam (gradients and moments) or an evaluation without gradients.</param>
public sealed record StepMemory(long Parameters, long FloatsPerSample, long Batch, bool Training = true)
{
    public const int BytesPerFloat = 4;

    public void Validate()
    {
        if (Parameters < 0 || FloatsPerSample < 1 || Batch < 1)
            throw new ArgumentException($"a step's memory needs non-negative parameters, positive floats per sample and a positive batch: {Parameters}, {FloatsPerSample}, {Batch}");
    }

    /// <summary>Weights, and for training their gradients and Adam's two moments.</summary>
    public long StateBytes => (Training ? 4 : 1) * Parameters * BytesPerFloat;

    /// <summary>Activations at <paramref name="batch"/> samples.</summary>
    public long ActivationBytes(long batch) => checked(batch * FloatsPerSample * BytesPerFloat);

    /// <summary>Peak bytes at <paramref name="batch"/> samples.</summary>
    public long PeakBytes(long batch) => checked(StateBytes + ActivationBytes(batch));

    /// <summary>Peak bytes at the whole batch.</summary>
    public long PeakBytes() => PeakBytes(Batch);

    /// <summary>The largest share of the batch (1 to <see cref="Batch"/>) whose peak stays within <paramref name="budgetBytes"/>;
    /// 0 when not even one sample fits.</summary>
    public long LargestBatchWithin(long budgetBytes)
    {
        Validate();
        long room = budgetBytes - StateBytes;
        if (room < (long)FloatsPerSample * BytesPerFloat) return 0;
        return Math.Min(Batch, room / ((long)FloatsPerSample * BytesPerFloat));
    }
}
