namespace Raccoon.Research.Training;

/// <summary>A model made for a training that hands it to its caller: where the training throws, the model is disposed
/// before the error goes on, so a failed unit leaves no native tensors behind.</summary>
public static class OwnedModel
{
    /// <summary>Trains <paramref name="model"/> with <paramref name="train"/> and returns both; the caller owns the model.</summary>
    public static (TModel Model, TResult Result) Train<TModel, TResult>(TModel model, Func<TModel, TResult> train) where TModel : IDisposable
    {
        try
        {
            return (model, train(model));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
