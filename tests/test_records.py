import json

from common.records import Recorder, read_records, with_postfix


def test_postfix_goes_before_the_extension_only():
    assert with_postfix('train_x.log', 'p') == 'train_x_p.log'
    # The playground deleted every dot: ./logs/x.log became the absolute /logs/x_a.log.
    assert with_postfix('./logs/x.log', 'a') == './logs/x_a.log'
    assert with_postfix('x.log', '') == 'x.log'


def test_log_and_json_lines_side_by_side(tmp_path):
    rec = Recorder(str(tmp_path / 'res'), 'train_t.log', 'v1', stream=None)
    rec.info('hello %d', 3)
    rec.write('epoch', run=1, epoch=2, metrics={'R@1': 50.0})
    rec.close()
    assert 'hello 3' in (tmp_path / 'res' / 'train_t_v1.log').read_text()
    records = read_records(str(tmp_path / 'res' / 'train_t_v1.jsonl'))
    assert records[0]['kind'] == 'epoch' and records[0]['metrics'] == {'R@1': 50.0}
    json.dumps(records)


def test_none_disables_files(tmp_path):
    rec = Recorder(str(tmp_path), 'None', stream=None)
    rec.write('epoch', run=1)
    rec.info('x')
    rec.close()
    assert list(tmp_path.iterdir()) == []
