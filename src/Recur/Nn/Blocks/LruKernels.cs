namespace Recur.Nn.Blocks;

/// <summary>
/// The LRU's complex diagonal recurrence and its reverse (<see cref="LruBlock"/> documents the algebra). A
/// complex vector of <c>N</c> units is stored as one row <c>[re (N) | im (N)]</c>; a chunk's rows are
/// time-major <c>(T, B, 2N)</c>. Everything here is sequential over time and runs on one thread (the
/// arithmetic of an element never depends on how the rest is split).
/// </summary>
internal static class LruKernels
{
    /// <summary>
    /// <c>lambda = exp(-exp(nu_log) + i exp(theta_log))</c> as <c>(lr, li)</c> and <c>gamma = exp(gamma_log)</c>, each <c>(N)</c>.
    /// </summary>
    public static void Eigenvalues(ReadOnlySpan<float> nuLog, ReadOnlySpan<float> thetaLog, ReadOnlySpan<float> gammaLog,
        Span<float> lr, Span<float> li, Span<float> gamma)
    {
        for (int n = 0; n < nuLog.Length; n++)
        {
            float mod = MathF.Exp(-MathF.Exp(nuLog[n]));
            float phase = MathF.Exp(thetaLog[n]);
            lr[n] = mod * MathF.Cos(phase);
            li[n] = mod * MathF.Sin(phase);
            gamma[n] = MathF.Exp(gammaLog[n]);
        }
    }

    /// <summary>
    /// <c>h_t = lambda h_{t-1} + gamma v_t</c> for <c>t = 0..T-1</c> from <paramref name="h0"/> <c>(B, 2N)</c>;
    /// <paramref name="v"/> and <paramref name="h"/> are <c>(T, B, 2N)</c>.
    /// </summary>
    public static void Scan(ReadOnlySpan<float> lr, ReadOnlySpan<float> li, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> v, ReadOnlySpan<float> h0, Span<float> h, int T, int B, int N)
    {
        int W = 2 * N;
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
            {
                int row = (t * B + b) * W;
                ReadOnlySpan<float> prev = t == 0 ? h0.Slice(b * W, W) : h.Slice(row - B * W, W);
                var cur = h.Slice(row, W);
                var vv = v.Slice(row, W);
                for (int n = 0; n < N; n++)
                {
                    float pr = prev[n], pi = prev[N + n], g = gamma[n];
                    cur[n] = lr[n] * pr - li[n] * pi + g * vv[n];
                    cur[N + n] = lr[n] * pi + li[n] * pr + g * vv[N + n];
                }
            }
    }

    /// <summary>
    /// The reverse recurrence. On entry <paramref name="grad"/> <c>(T, B, 2N)</c> holds <c>E_t</c>, the gradient
    /// reaching each <c>h_t</c> from the output; on exit <c>G_t = E_t + conj(lambda) G_{t+1}</c>. Writes
    /// <c>dv_t = gamma G_t</c> into <paramref name="dv"/> and accumulates (+=) over rows and time
    /// <c>dlambda = sum G_t conj(h_{t-1})</c> into <paramref name="dlr"/>, <paramref name="dli"/> and
    /// <c>dgamma = sum Re(conj(v_t) G_t)</c> into <paramref name="dgamma"/>, each <c>(N)</c>.
    /// </summary>
    public static void ScanBackward(ReadOnlySpan<float> lr, ReadOnlySpan<float> li, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> v, ReadOnlySpan<float> h0, ReadOnlySpan<float> h, Span<float> grad, Span<float> dv,
        Span<double> dlr, Span<double> dli, Span<double> dgamma, int T, int B, int N)
    {
        int W = 2 * N;
        for (int t = T - 1; t >= 0; t--)
            for (int b = 0; b < B; b++)
            {
                int row = (t * B + b) * W;
                var g = grad.Slice(row, W);
                if (t < T - 1)
                {
                    ReadOnlySpan<float> next = grad.Slice(row + B * W, W);
                    for (int n = 0; n < N; n++)
                    {
                        // conj(lambda) G_{t+1} = (lr G_re + li G_im) + i (lr G_im - li G_re)
                        g[n] += lr[n] * next[n] + li[n] * next[N + n];
                        g[N + n] += lr[n] * next[N + n] - li[n] * next[n];
                    }
                }
                ReadOnlySpan<float> prev = t == 0 ? h0.Slice(b * W, W) : h.Slice(row - B * W, W);
                var vv = v.Slice(row, W);
                var d = dv.Slice(row, W);
                for (int n = 0; n < N; n++)
                {
                    float gr = g[n], gi = g[N + n], pr = prev[n], pi = prev[N + n];
                    dlr[n] += gr * pr + gi * pi;
                    dli[n] += gi * pr - gr * pi;
                    dgamma[n] += gr * vv[n] + gi * vv[N + n];
                    d[n] = gamma[n] * gr;
                    d[N + n] = gamma[n] * gi;
                }
            }
    }

    /// <summary>
    /// Chains <c>dlambda</c> and <c>dgamma</c> to the parameters and accumulates (+=):
    /// <c>dnu_log = -exp(nu_log) Re(conj(lambda) dlambda)</c>, <c>dtheta_log = exp(theta_log) Im(conj(lambda) dlambda)</c>,
    /// <c>dgamma_log = gamma dgamma</c>.
    /// </summary>
    public static void ParameterGrads(ReadOnlySpan<float> nuLog, ReadOnlySpan<float> thetaLog,
        ReadOnlySpan<float> lr, ReadOnlySpan<float> li, ReadOnlySpan<float> gamma,
        ReadOnlySpan<double> dlr, ReadOnlySpan<double> dli, ReadOnlySpan<double> dgamma,
        Span<float> dNu, Span<float> dTheta, Span<float> dGamma)
    {
        for (int n = 0; n < lr.Length; n++)
        {
            double re = lr[n] * dlr[n] + li[n] * dli[n];
            double im = lr[n] * dli[n] - li[n] * dlr[n];
            dNu[n] += (float)(-Math.Exp(nuLog[n]) * re);
            dTheta[n] += (float)(Math.Exp(thetaLog[n]) * im);
            dGamma[n] += (float)(gamma[n] * dgamma[n]);
        }
    }
}
