namespace Streamer.Rules.Pricing;

/// <summary>Gauss–Legendre nodes and weights on [−1, 1], computed once (Newton on P_n).</summary>
internal sealed class GaussLegendre
{
    public double[] Nodes { get; }
    public double[] Weights { get; }

    public GaussLegendre(int order)
    {
        Nodes = new double[order];
        Weights = new double[order];
        for (int i = 0; i < (order + 1) / 2; i++)
        {
            double x = Math.Cos(Math.PI * (i + 0.75) / (order + 0.5));
            double dp = 0;
            for (int iter = 0; iter < 100; iter++)
            {
                double p0 = 1, p1 = x;
                for (int k = 2; k <= order; k++)
                {
                    double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
                    p0 = p1;
                    p1 = p2;
                }
                if (order == 1) { p1 = x; p0 = 1; }
                dp = order * (x * p1 - p0) / (x * x - 1);
                double dx = p1 / dp;
                x -= dx;
                if (Math.Abs(dx) < 1e-16) break;
            }
            Nodes[i] = -x;
            Nodes[order - 1 - i] = x;
            double w = 2 / ((1 - x * x) * dp * dp);
            Weights[i] = w;
            Weights[order - 1 - i] = w;
        }
    }
}
