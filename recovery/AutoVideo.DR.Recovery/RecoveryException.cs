namespace AutoVideo.DR.Recovery;

/// <summary>
/// A failure the operator can act on: its message is one line that names what was wrong and
/// what is accepted. The CLI prints it as-is and exits non-zero; anything else is a bug.
/// </summary>
public sealed class RecoveryException : Exception
{
    public RecoveryException(string message) : base(message) { }
    public RecoveryException(string message, Exception inner) : base(message, inner) { }
}
