namespace Recur.Data;

/// <summary>Input a trained model never saw (see <see cref="UnseenInput"/>); the message is one line for a person.</summary>
public sealed class UnseenInputException(string message) : Exception(message);
