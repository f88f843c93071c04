"""What the proxy-based scripts (proxy, DREML) share: loss choice, options, initialisation."""
from ..loss_options import LossOptions
from ..losses import ProxyNCALoss, ProxyTripletLoss, ProxyXentropyLoss
from ..losses.proxies import ProxyLoss
from ..models.initializers import NormalScaled, TruncNorm, xavier

PROXY_LOSSES = {'nca': ProxyNCALoss, 'xentropy': ProxyXentropyLoss, 'triplet': ProxyTripletLoss}
XAVIER = xavier(0.2)
# The proxy losses' options (proxy-triplet has a fixed scale and temperature, no smoothing).
PROXY_OPTIONS = LossOptions(ProxyLoss, ['scale', 'temperature', 'smoothing'])


def add_proxy_loss_options(parser, loss):
    """--loss and --epsilon; the loss parameters come from PROXY_OPTIONS."""
    parser.add_argument('--loss', choices=sorted(PROXY_LOSSES), default=loss,
                        help='nca: ProxyNCA; xentropy: proxy softmax; triplet: proxy-triplet')
    parser.add_argument('--epsilon', type=float, default=1e-2, help='Adam epsilon')


def proxy_head_init(args):
    """The playground's head initialisation: Xavier for proxy-triplet, else TruncNorm(0.001)."""
    return XAVIER if args.loss == 'triplet' else TruncNorm(0.001)


def build_proxy_loss(args, num_classes, embed_dim):
    loss = PROXY_LOSSES[args.loss]
    if args.loss == 'triplet':
        return loss(num_classes, embed_dim, proxy_init=XAVIER)
    return PROXY_OPTIONS.build(args, num_classes, embed_dim, loss=loss,
                               proxy_init=NormalScaled(8))
