"""What the proxy-based scripts (proxy, DREML) share: loss choice, options, initialisation."""
from ..losses import ProxyNCALoss, ProxyTripletLoss, ProxyXentropyLoss
from ..models.initializers import NormalScaled, TruncNorm, xavier

PROXY_LOSSES = {'nca': ProxyNCALoss, 'xentropy': ProxyXentropyLoss, 'triplet': ProxyTripletLoss}
XAVIER = xavier(0.2)


def add_proxy_loss_options(parser, loss):
    parser.add_argument('--loss', choices=sorted(PROXY_LOSSES), default=loss,
                        help='nca: ProxyNCA; xentropy: proxy softmax; triplet: proxy-triplet')
    parser.add_argument('--epsilon', type=float, default=1e-2, help='Adam epsilon')
    parser.add_argument('--embedding-multiplier', type=float, default=3.0,
                        help='scale s of embeddings and proxies (nca, xentropy)')
    parser.add_argument('--temperature', type=float, default=1.0,
                        help='distances are divided by it (nca, xentropy)')
    parser.add_argument('--label-smooth', type=float, default=0.0,
                        help='label smoothing (nca, xentropy)')


def proxy_head_init(args):
    """The playground's head initialisation: Xavier for proxy-triplet, else TruncNorm(0.001)."""
    return XAVIER if args.loss == 'triplet' else TruncNorm(0.001)


def build_proxy_loss(args, num_classes, embed_dim):
    kwargs = dict(proxy_init=XAVIER if args.loss == 'triplet' else NormalScaled(8))
    if args.loss != 'triplet':
        kwargs.update(scale=args.embedding_multiplier, temperature=args.temperature,
                      smoothing=args.label_smooth)
    return PROXY_LOSSES[args.loss](num_classes, embed_dim, **kwargs)
