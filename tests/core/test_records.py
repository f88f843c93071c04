import json

import pytest

from common.records import Recorder, jsonl_path, read_manifest, read_records, with_postfix


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


def test_records_and_manifest_round_trip(tmp_path):
    rec = Recorder(str(tmp_path), 'train_t.log', stream=None)
    rec.write('config', args={'lr': 1e-3, 'steps': '20,30'})
    rec.write('run', run=1, best={'R@1': 51.25, 'NMI': 60.5}, selection='validation')
    manifest = {'script': 't', 'args': {'lr': 1e-3}, 'status': 'finished',
                'summary': {'best': {'R@1': {'mean': 51.25, 'std': 0.0}}}}
    rec.write_manifest(manifest)
    rec.close()
    back = read_manifest(str(tmp_path / 'train_t.manifest.json'))
    assert back == dict(manifest, invocation=rec.invocation, files={
        'log': 'train_t.log', 'jsonl': 'train_t.jsonl', 'manifest': 'train_t.manifest.json'})
    records = read_records(str(tmp_path / 'train_t.jsonl'), invocation=rec.invocation)
    assert [r['kind'] for r in records] == ['config', 'run']
    assert records[1]['best'] == {'R@1': 51.25, 'NMI': 60.5}
    assert records[0]['args'] == {'lr': 1e-3, 'steps': '20,30'}


def test_a_second_invocation_keeps_the_first_ones_manifest_and_records(tmp_path):
    invocations = []
    for lr in (1e-3, 1e-4):
        rec = Recorder(str(tmp_path), 'train_t.log', stream=None)
        rec.write('run', run=1, lr=lr)
        rec.write_manifest({'args': {'lr': lr}})
        rec.write_manifest({'args': {'lr': lr}, 'status': 'finished'})  # rewrites its own
        rec.close()
        invocations.append(rec.invocation)
    latest = read_manifest(str(tmp_path / 'train_t.manifest.json'))
    earlier = read_manifest(str(tmp_path / ('train_t.%s.manifest.json' % invocations[0])))
    assert latest['invocation'] == invocations[1] and earlier['args'] == {'lr': 1e-3}
    assert sorted(p.name for p in tmp_path.glob('*.manifest.json')) == sorted(
        ['train_t.manifest.json', 'train_t.%s.manifest.json' % invocations[0]])
    for invocation, lr in zip(invocations, (1e-3, 1e-4)):
        assert [r['lr'] for r in read_records(str(tmp_path / 'train_t.jsonl'),
                                              invocation=invocation)] == [lr]


def test_a_torn_line_neither_breaks_reading_nor_swallows_the_next_record(tmp_path):
    path = tmp_path / 'train_t.jsonl'
    path.write_text('{"kind": "epoch", "invocation": "a", "epoch": 1}\n{"kind": "ep')
    rec = Recorder(str(tmp_path), 'train_t.log', stream=None, invocation='a')
    rec.write('epoch', epoch=2)
    rec.close()
    with pytest.warns(UserWarning, match='train_t.jsonl line 2: not JSON'):
        assert [r['epoch'] for r in read_records(str(path), 'epoch')] == [1, 2]


@pytest.mark.parametrize('text,required,message', [
    ('{"invocation": ', ('invocation',), r'm\.manifest\.json: unreadable manifest \(Expecting'),
    ('[1, 2]', ('invocation',), r'm\.manifest\.json: not a run manifest \(not a JSON object\)$'),
    ('{"status": "finished"}', ('invocation',), r'm\.manifest\.json: not a run manifest '
                                                r'\(no invocation\)$'),
    ('{"invocation": "a", "script": ""}', ('invocation', 'script'),
     r'm\.manifest\.json: not a run manifest \(no script\)$'),
])
def test_a_manifest_that_cannot_be_used_is_one_line_naming_the_file(tmp_path, text, required,
                                                                     message):
    path = tmp_path / 'm.manifest.json'
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as error:
        read_manifest(str(path), required)
    assert '\n' not in str(error.value) and str(path) in str(error.value)


def test_a_missing_manifest_or_records_file_is_a_value_error_naming_it(tmp_path):
    with pytest.raises(ValueError, match=r'nowhere\.manifest\.json: unreadable manifest'):
        read_manifest(str(tmp_path / 'nowhere.manifest.json'))
    with pytest.raises(ValueError, match=r'nowhere\.jsonl: unreadable run records'):
        read_records(str(tmp_path / 'nowhere.jsonl'))


def test_records_of_one_kind_and_invocation_and_torn_lines_warned(tmp_path):
    path = tmp_path / 'train_t.jsonl'
    path.write_text('{"kind": "run", "invocation": "a", "run": 1}\n\n'
                    '{"kind": "run", "run": 1}\n'  # written before invocation ids
                    '{"kind": "ep\n'
                    '{"kind": "epoch", "invocation": "a"}\n'
                    '{"invocation": "b", "run": 1}\n'
                    '{"kind": "run", "invocation": "b", "run": 2}\n')
    torn = r'train_t\.jsonl line 4: not JSON \(a write cut short\?\); skipped$'
    with pytest.warns(UserWarning, match=torn):
        runs = read_records(str(path), 'run', 'a')
    assert runs == [{'kind': 'run', 'invocation': 'a', 'run': 1}]
    with pytest.warns(UserWarning):
        assert [r.get('run') for r in read_records(str(path), invocation='b')] == [1, 2]
    with pytest.warns(UserWarning):
        assert len(read_records(str(path))) == 5


def test_the_records_file_of_a_manifest(tmp_path):
    manifest = str(tmp_path / 'train_t_v1.manifest.json')
    assert jsonl_path(manifest, {'files': {'jsonl': 'other.jsonl'}}) == str(tmp_path /
                                                                            'other.jsonl')
    assert jsonl_path(manifest, {}) == str(tmp_path / 'train_t_v1.jsonl')
