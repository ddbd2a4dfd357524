"""Static validation: each bad definition gets a diagnostic naming the state and the field."""
from __future__ import annotations

import json

import pytest

from workflow.engine import InvalidDefinition, parse_definition, validate_definition


def machine(**states) -> dict:
    return {"StartAt": next(iter(states)), "States": states}


END = {"Type": "Pass", "End": True}
T = "arn:aws:states:::lambda:invoke"
BAD = [
    ("not JSON", "{", "INVALID_JSON_DESCRIPTION", "/"),
    ("not an object", "[1]", "INVALID_JSON_DESCRIPTION", "/"),
    ("unknown top-level field", {"StartAt": "A", "States": {"A": END}, "Foo": 1}, "SCHEMA_VALIDATION_FAILED", "/Foo"),
    ("missing StartAt", {"States": {"A": END}}, "SCHEMA_VALIDATION_FAILED", "/"),
    ("StartAt names no state", {"StartAt": "B", "States": {"A": END}}, "MISSING_TRANSITION_TARGET", "/StartAt"),
    ("empty States", {"StartAt": "A", "States": {}}, "SCHEMA_VALIDATION_FAILED", "/States"),
    ("unknown Next", machine(A={"Type": "Pass", "Next": "Nowhere"}), "MISSING_TRANSITION_TARGET", "/States/A/Next"),
    ("both Next and End", machine(A={"Type": "Pass", "Next": "A", "End": True}), "SCHEMA_VALIDATION_FAILED", "/States/A"),
    ("neither Next nor End", machine(A={"Type": "Pass"}), "SCHEMA_VALIDATION_FAILED", "/States/A"),
    ("End false", machine(A={"Type": "Pass", "End": False}), "SCHEMA_VALIDATION_FAILED", "/States/A/End"),
    ("unknown state type", machine(A={"Type": "Loop", "End": True}), "SCHEMA_VALIDATION_FAILED", "/States/A/Type"),
    ("unknown state field", machine(A={"Type": "Pass", "End": True, "Resultt": 1}), "SCHEMA_VALIDATION_FAILED", "/States/A/Resultt"),
    ("field of another state type", machine(A={"Type": "Pass", "End": True, "Resource": T}), "SCHEMA_VALIDATION_FAILED", "/States/A/Resource"),
    ("unreachable state", machine(A=END, B=END), "UNREACHABLE_STATE", "/States/B"),
    ("cycle without exit", machine(A={"Type": "Pass", "Next": "B"}, B={"Type": "Pass", "Next": "A"}), "NO_TERMINAL_STATE", "/States/A"),
    ("choice loop without exit", machine(C={"Type": "Choice", "Choices": [{"Variable": "$.x", "IsNull": True, "Next": "C"}], "Default": "C"}),
     "NO_TERMINAL_STATE", "/States/C"),
    ("bad InputPath", machine(A={"Type": "Pass", "End": True, "InputPath": "a.b"}), "SCHEMA_VALIDATION_FAILED", "/States/A/InputPath"),
    ("ResultPath with a wildcard", machine(A={"Type": "Pass", "End": True, "ResultPath": "$.a[*]"}), "SCHEMA_VALIDATION_FAILED", "/States/A/ResultPath"),
    ("ResultPath with a filter", machine(A={"Type": "Pass", "End": True, "ResultPath": "$.a[?(@.x)]"}), "SCHEMA_VALIDATION_FAILED", "/States/A/ResultPath"),
    ("InputPath not a string", machine(A={"Type": "Pass", "End": True, "InputPath": 3}), "SCHEMA_VALIDATION_FAILED", "/States/A/InputPath"),
    ("bad .$ path in Parameters", machine(A={"Type": "Pass", "End": True, "Parameters": {"x.$": "nope"}}), "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters/x.$"),
    ("nested bad .$ value type", machine(A={"Type": "Pass", "End": True, "Parameters": {"o": {"x.$": 1}}}), "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters/o/x.$"),
    ("unknown intrinsic", machine(A={"Type": "Pass", "End": True, "Parameters": {"x.$": "States.Nope(1)"}}), "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters/x.$"),
    ("malformed intrinsic", machine(A={"Type": "Pass", "End": True, "Parameters": {"x.$": "States.Format('a'"}}), "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters/x.$"),
    ("States.ALL not alone", machine(P={"Type": "Parallel", "End": True, "Branches": [machine(B=END)],
                                        "Retry": [{"ErrorEquals": ["States.ALL", "X"]}]}), "SCHEMA_VALIDATION_FAILED", "/States/P/Retry/0/ErrorEquals"),
    ("States.ALL retrier not last", machine(P={"Type": "Parallel", "End": True, "Branches": [machine(B=END)],
                                               "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}]}), "SCHEMA_VALIDATION_FAILED", "/States/P/Retry/0/ErrorEquals"),
    ("States.ALL catcher not last", machine(P={"Type": "Parallel", "Next": "H", "Branches": [machine(B=END)],
                                               "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}, {"ErrorEquals": ["X"], "Next": "H"}]}, H=END),
     "SCHEMA_VALIDATION_FAILED", "/States/P/Catch/0/ErrorEquals"),
    ("catcher Next unknown", machine(P={"Type": "Parallel", "End": True, "Branches": [machine(B=END)],
                                        "Catch": [{"ErrorEquals": ["X"], "Next": "Gone"}]}), "MISSING_TRANSITION_TARGET", "/States/P/Catch/0/Next"),
    ("BackoffRate below 1", machine(P={"Type": "Task", "Resource": T, "End": True, "Retry": [{"ErrorEquals": ["X"], "BackoffRate": 0.5}]}),
     "SCHEMA_VALIDATION_FAILED", "/States/P/Retry/0/BackoffRate"),
    ("MaxAttempts negative", machine(P={"Type": "Task", "Resource": T, "End": True, "Retry": [{"ErrorEquals": ["X"], "MaxAttempts": -1}]}),
     "SCHEMA_VALIDATION_FAILED", "/States/P/Retry/0/MaxAttempts"),
    ("JitterStrategy unknown", machine(P={"Type": "Task", "Resource": T, "End": True, "Retry": [{"ErrorEquals": ["X"], "JitterStrategy": "HALF"}]}),
     "SCHEMA_VALIDATION_FAILED", "/States/P/Retry/0/JitterStrategy"),
    ("IntervalSeconds a string", machine(P={"Type": "Task", "Resource": T, "End": True, "Retry": [{"ErrorEquals": ["X"], "IntervalSeconds": "1"}]}),
     "SCHEMA_VALIDATION_FAILED", "/States/P/Retry/0/IntervalSeconds"),
    ("Task without Resource", machine(A={"Type": "Task", "End": True}), "SCHEMA_VALIDATION_FAILED", "/States/A"),
    ("Task with a bad Resource", machine(A={"Type": "Task", "Resource": "lambda", "End": True}), "INVALID_RESOURCE", "/States/A/Resource"),
    ("sync on an API without it", machine(A={"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createEndpoint.sync", "End": True}),
     "INVALID_RESOURCE", "/States/A/Resource"),
    ("TimeoutSeconds and TimeoutSecondsPath", machine(A={"Type": "Task", "Resource": T, "End": True, "TimeoutSeconds": 5, "TimeoutSecondsPath": "$.t"}),
     "SCHEMA_VALIDATION_FAILED", "/States/A/TimeoutSecondsPath"),
    ("HeartbeatSeconds not below TimeoutSeconds", machine(A={"Type": "Task", "Resource": T, "End": True, "TimeoutSeconds": 5, "HeartbeatSeconds": 5}),
     "SCHEMA_VALIDATION_FAILED", "/States/A/HeartbeatSeconds"),
    ("TimeoutSeconds zero", machine(A={"Type": "Task", "Resource": T, "End": True, "TimeoutSeconds": 0}), "SCHEMA_VALIDATION_FAILED", "/States/A/TimeoutSeconds"),
    ("Choice without Choices", machine(C={"Type": "Choice", "Default": "E"}, E=END), "SCHEMA_VALIDATION_FAILED", "/States/C"),
    ("Choice rule without Next", machine(C={"Type": "Choice", "Choices": [{"Variable": "$.x", "IsNull": True}], "Default": "E"}, E=END),
     "SCHEMA_VALIDATION_FAILED", "/States/C/Choices/0"),
    ("Choice Default unknown", machine(C={"Type": "Choice", "Choices": [{"Variable": "$.x", "IsNull": True, "Next": "E"}], "Default": "Z"}, E=END),
     "MISSING_TRANSITION_TARGET", "/States/C/Default"),
    ("Choice operator value of the wrong type", machine(C={"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": "1", "Next": "E"}]}, E=END),
     "SCHEMA_VALIDATION_FAILED", "/States/C/Choices/0/NumericEquals"),
    ("Choice unknown operator", machine(C={"Type": "Choice", "Choices": [{"Variable": "$.x", "NumberEquals": 1, "Next": "E"}]}, E=END),
     "SCHEMA_VALIDATION_FAILED", "/States/C/Choices/0/NumberEquals"),
    ("Choice bad timestamp", machine(C={"Type": "Choice", "Choices": [{"Variable": "$.x", "TimestampEquals": "yesterday", "Next": "E"}]}, E=END),
     "SCHEMA_VALIDATION_FAILED", "/States/C/Choices/0/TimestampEquals"),
    ("Choice nested rule with Next", machine(C={"Type": "Choice", "Choices": [{"Not": {"Variable": "$.x", "IsNull": True, "Next": "E"}, "Next": "E"}]}, E=END),
     "SCHEMA_VALIDATION_FAILED", "/States/C/Choices/0/Not/Next"),
    ("Choice Variable with wildcard", machine(C={"Type": "Choice", "Choices": [{"Variable": "$.x[*]", "IsNull": True, "Next": "E"}]}, E=END),
     "SCHEMA_VALIDATION_FAILED", "/States/C/Choices/0/Variable"),
    ("Wait with two durations", machine(W={"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": True}), "SCHEMA_VALIDATION_FAILED", "/States/W"),
    ("Wait with a bad Timestamp", machine(W={"Type": "Wait", "Timestamp": "2024-01-01 00:00", "End": True}), "SCHEMA_VALIDATION_FAILED", "/States/W/Timestamp"),
    ("Wait with negative Seconds", machine(W={"Type": "Wait", "Seconds": -1, "End": True}), "SCHEMA_VALIDATION_FAILED", "/States/W/Seconds"),
    ("Fail with Error and ErrorPath", machine(F={"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}), "SCHEMA_VALIDATION_FAILED", "/States/F/ErrorPath"),
    ("Parallel without Branches", machine(P={"Type": "Parallel", "End": True}), "SCHEMA_VALIDATION_FAILED", "/States/P"),
    ("error inside a branch", machine(P={"Type": "Parallel", "End": True, "Branches": [machine(B={"Type": "Pass", "Next": "X"})]}),
     "MISSING_TRANSITION_TARGET", "/States/P/Branches/0/States/B/Next"),
    ("branch cannot jump outside", machine(P={"Type": "Parallel", "Next": "E", "Branches": [machine(B={"Type": "Pass", "Next": "E"})]}, E=END),
     "MISSING_TRANSITION_TARGET", "/States/P/Branches/0/States/B/Next"),
    ("duplicate state name in a branch", machine(P={"Type": "Parallel", "End": True, "Branches": [machine(P=END)]}),
     "DUPLICATE_STATE_NAME", "/States/P/Branches/0/States/P"),
    ("Map without ItemProcessor", machine(M={"Type": "Map", "End": True}), "SCHEMA_VALIDATION_FAILED", "/States/M"),
    ("Map with DISTRIBUTED mode", machine(M={"Type": "Map", "End": True, "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED"}, **machine(I=END)}}), "SCHEMA_VALIDATION_FAILED", "/States/M/ItemProcessor/ProcessorConfig/Mode"),
    ("Map ItemSelector and Parameters", machine(M={"Type": "Map", "End": True, "ItemSelector": {}, "Parameters": {}, "ItemProcessor": machine(I=END)}),
     "SCHEMA_VALIDATION_FAILED", "/States/M/Parameters"),
    ("Map MaxConcurrency negative", machine(M={"Type": "Map", "End": True, "MaxConcurrency": -1, "ItemProcessor": machine(I=END)}),
     "SCHEMA_VALIDATION_FAILED", "/States/M/MaxConcurrency"),
    ("unknown aws-sdk action", machine(A={"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:launchRocket", "End": True}),
     "INVALID_RESOURCE", "/States/A/Resource"),
    ("unknown aws-sdk service", machine(A={"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:nosuchservice:listThings", "End": True}),
     "INVALID_RESOURCE", "/States/A/Resource"),
    ("SageMaker API outside the optimized integration", machine(A={"Type": "Task", "Resource": "arn:aws:states:::sagemaker:listModels", "End": True}),
     "INVALID_RESOURCE", "/States/A/Resource"),
    # The field names AWS rejects with "The field ... is not supported by Step Functions".
    ("unknown nested SageMaker parameter", machine(A={"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
                                                      "End": True, "Parameters": {"TrainingJobName": "j", "InputDataConfig": [
                                                          {"ChannelName": "train", "AtttributeNames": []}]}}),
     "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters/InputDataConfig/0"),
    ("unknown dynamic aws-sdk parameter", machine(A={"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sagemaker:describeEndpoint",
                                                     "End": True, "Parameters": {"EndPointNameX.$": "$.name"}}),
     "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters"),
    ("unknown lambda:invoke parameter", machine(A={"Type": "Task", "Resource": T, "End": True, "Parameters": {"FunctionName": "f", "Body": 1}}),
     "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters"),
    ("unknown query language", {"QueryLanguage": "XPath", **machine(A=END)}, "SCHEMA_VALIDATION_FAILED", "/QueryLanguage"),
    # Query languages, JSONata fields and variables.
    ("JSONPath state in a JSONata state machine", {"QueryLanguage": "JSONata", **machine(A={**END, "QueryLanguage": "JSONPath"})},
     "SCHEMA_VALIDATION_FAILED", "/States/A"),
    ("unknown state QueryLanguage", machine(A={**END, "QueryLanguage": "jsonata"}), "SCHEMA_VALIDATION_FAILED", "/States/A/QueryLanguage"),
    ("InputPath in a JSONata state", machine(A={**END, "QueryLanguage": "JSONata", "InputPath": "$.a"}),
     "SCHEMA_VALIDATION_FAILED", "/States/A/InputPath"),
    ("Parameters in a JSONata state", {"QueryLanguage": "JSONata", **machine(A={**END, "Parameters": {}})},
     "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters"),
    ("ResultPath in a JSONata Catch", {"QueryLanguage": "JSONata", **machine(
        P={"Type": "Parallel", "End": True, "Branches": [machine(B=END)],
           "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.e", "Next": "H"}]}, H=END)},
     "SCHEMA_VALIDATION_FAILED", "/States/P/Catch/0"),
    ("Output in a JSONPath state", machine(A={**END, "Output": {}}), "SCHEMA_VALIDATION_FAILED", "/States/A/Output"),
    ("Arguments in a JSONPath Task", machine(A={"Type": "Task", "Resource": T, "End": True, "Arguments": {}}),
     "SCHEMA_VALIDATION_FAILED", "/States/A/Arguments"),
    ("Condition in a JSONPath Choice rule", machine(C={"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Next": "E"}]}, E=END),
     "SCHEMA_VALIDATION_FAILED", "/States/C/Choices/0/Condition"),
    ("Variable in a JSONata Choice rule", {"QueryLanguage": "JSONata", **machine(
        C={"Type": "Choice", "Choices": [{"Variable": "$.x", "IsNull": True, "Next": "E"}]}, E=END)},
     "SCHEMA_VALIDATION_FAILED", "/States/C/Choices/0/Variable"),
    ("JSONata Choice rule without Condition", {"QueryLanguage": "JSONata", **machine(
        C={"Type": "Choice", "Choices": [{"Next": "E"}]}, E=END)}, "SCHEMA_VALIDATION_FAILED", "/States/C/Choices/0"),
    ("JSONata syntax error", {"QueryLanguage": "JSONata", **machine(A={**END, "Output": {"x": "{% $states.input. %}"}})},
     "SCHEMA_VALIDATION_FAILED", "/States/A/Output/x"),
    ("JSONata TimeoutSeconds neither a number nor an expression", {"QueryLanguage": "JSONata", **machine(
        A={"Type": "Task", "Resource": T, "End": True, "TimeoutSeconds": "5"})}, "SCHEMA_VALIDATION_FAILED", "/States/A/TimeoutSeconds"),
    ("JSONata Items neither an array nor an expression", {"QueryLanguage": "JSONata", **machine(
        M={"Type": "Map", "End": True, "Items": {"a": 1}, "ItemProcessor": machine(I=END)})}, "SCHEMA_VALIDATION_FAILED", "/States/M/Items"),
    ("Assign in a Succeed state", machine(A={"Type": "Succeed", "Assign": {"x": 1}}), "SCHEMA_VALIDATION_FAILED", "/States/A/Assign"),
    ("Assign in a Fail state", machine(A={"Type": "Fail", "Assign": {"x": 1}}), "SCHEMA_VALIDATION_FAILED", "/States/A/Assign"),
    ("Assign that is not an object", machine(A={**END, "Assign": [1]}), "SCHEMA_VALIDATION_FAILED", "/States/A/Assign"),
    ("variable name starting with a digit", machine(A={**END, "Assign": {"1x": 1}}), "SCHEMA_VALIDATION_FAILED", "/States/A/Assign/1x"),
    ("variable name with a dash", machine(A={**END, "Assign": {"my-var": 1}}), "SCHEMA_VALIDATION_FAILED", "/States/A/Assign/my-var"),
    ("reserved variable name states", machine(A={**END, "Assign": {"states": 1}}), "SCHEMA_VALIDATION_FAILED", "/States/A/Assign/states"),
    ("variable name over 80 characters", machine(A={**END, "Assign": {"v" * 81: 1}}), "SCHEMA_VALIDATION_FAILED", "/States/A/Assign/" + "v" * 81),
    ("bad path in a JSONPath Assign", machine(A={**END, "Assign": {"x.$": "nope"}}), "SCHEMA_VALIDATION_FAILED", "/States/A/Assign/x.$"),
    ("Assign in a nested Choice rule", machine(C={"Type": "Choice", "Choices": [{"Not": {"Variable": "$.x", "IsNull": True, "Assign": {}},
                                                                                "Next": "E"}]}, E=END),
     "SCHEMA_VALIDATION_FAILED", "/States/C/Choices/0/Not/Assign"),
    ("Map iteration assigns an outer variable", machine(
        A={"Type": "Pass", "Assign": {"x": 1}, "Next": "M"},
        M={"Type": "Map", "End": True, "ItemProcessor": machine(I={**END, "Assign": {"x.$": "$"}})}),
     "SCHEMA_VALIDATION_FAILED", "/States/M/ItemProcessor/States/I/Assign/x.$"),
    ("Parallel branch catcher assigns an outer variable", machine(
        P={"Type": "Parallel", "End": True, "Assign": {"y": 1}, "Branches": [machine(
            Q={"Type": "Parallel", "End": True, "Branches": [machine(B=END)],
               "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"y": 2}, "Next": "H"}]}, H=END)]}),
     "SCHEMA_VALIDATION_FAILED", "/States/P/Branches/0/States/Q/Catch/0/Assign/y"),
    ("ResultPath into a variable", machine(A={**END, "ResultPath": "$x"}), "SCHEMA_VALIDATION_FAILED", "/States/A/ResultPath"),
    ("state name too long", {"StartAt": "x" * 81, "States": {"x" * 81: END}}, "SCHEMA_VALIDATION_FAILED", "/States/" + "x" * 81),
    ("slash in a state name is escaped", machine(**{"a/b": {"Type": "Pass", "Next": "c"}}), "MISSING_TRANSITION_TARGET", "/States/a~1b/Next"),
]


@pytest.mark.parametrize("definition,code,location", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_diagnostic(definition, code: str, location: str) -> None:
    diagnostics = validate_definition(definition)
    found = [(d.code, d.location) for d in diagnostics]
    assert (code, location) in found, found
    for item in diagnostics:
        assert item.severity == "ERROR"
        assert item.message.endswith(f"at {item.location}")


def test_a_valid_definition_has_no_diagnostics() -> None:
    definition = machine(
        A={"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync", "Next": "C",
           "Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 2, "JitterStrategy": "FULL", "MaxDelaySeconds": 10}],
           "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "F"}], "TimeoutSeconds": 60, "HeartbeatSeconds": 30},
        C={"Type": "Choice", "Choices": [{"And": [{"Variable": "$.x", "IsPresent": True}, {"Variable": "$.x", "NumericGreaterThanPath": "$.y"}], "Next": "M"}],
           "Default": "F"},
        M={"Type": "Map", "ItemsPath": "$.items", "ItemSelector": {"v.$": "$$.Map.Item.Value"}, "MaxConcurrency": 2, "Next": "W",
           "ItemProcessor": machine(I={"Type": "Pass", "End": True})},
        W={"Type": "Wait", "SecondsPath": "$.wait", "Next": "S"},
        S={"Type": "Succeed"},
        F={"Type": "Fail", "Error": "Failed", "CausePath": "States.Format('{}', $.error.Cause)"},
    )
    assert validate_definition(definition) == []
    assert validate_definition(json.dumps(definition)) == []


def test_jsonpath_state_in_jsonata_machine_has_aws_message() -> None:
    definition = {"QueryLanguage": "JSONata", **machine(Pass={"Type": "Pass", "QueryLanguage": "JSONPath", "End": True})}
    [diagnostic] = validate_definition(definition)
    assert diagnostic.message == ("'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine "
                                  "at /States/Pass")


def test_valid_jsonata_and_variables_have_no_diagnostics() -> None:
    definition = {"QueryLanguage": "JSONata", **machine(
        A={"Type": "Task", "Resource": T, "Next": "C", "Arguments": {"FunctionName": "f", "Payload": "{% $states.input %}"},
           "TimeoutSeconds": "{% $t %}", "HeartbeatSeconds": 5, "Output": "{% $states.result.Payload %}",
           "Assign": {"r": "{% $states.result %}"},
           "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% $states.errorOutput %}", "Assign": {"e": 1}, "Next": "F"}]},
        C={"Type": "Choice", "Choices": [{"Condition": "{% $r.StatusCode = 200 %}", "Assign": {"ok": True}, "Output": {}, "Next": "M"}],
           "Default": "F", "Assign": {"ok": False}},
        M={"Type": "Map", "Items": "{% $states.input.list %}", "ItemSelector": {"v": "{% $states.context.Map.Item.Value %}"},
           "MaxConcurrency": "{% 2 %}", "Next": "W", "ItemProcessor": machine(I={"Type": "Pass", "Assign": {"inner": 1}, "End": True})},
        W={"Type": "Wait", "Seconds": "{% 1 %}", "Next": "S"},
        S={"Type": "Succeed", "Output": {"done": True}},
        F={"Type": "Fail", "Error": "{% 'E' %}", "Cause": "why"},
    )}
    assert validate_definition(definition) == []
    mixed = machine(A={"Type": "Pass", "Assign": {"x.$": "$.a", "n": 1}, "InputPath": "$x", "Next": "B"},
                    B={"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $x %}", "End": True})
    assert validate_definition(mixed) == []


def test_aws_sdk_parameters_are_pascal_case_even_for_camel_case_services() -> None:
    definition = machine(A={"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:describeExecution", "End": True,
                            "Parameters": {"ExecutionArn.$": "$.arn"}},)
    assert validate_definition(definition) == []


def test_parse_definition_raises_with_every_error() -> None:
    with pytest.raises(InvalidDefinition) as raised:
        parse_definition(machine(A={"Type": "Pass", "Next": "X"}, B={"Type": "Pass", "End": True, "InputPath": "x"}))
    codes = {d.code for d in raised.value.diagnostics}
    assert {"MISSING_TRANSITION_TARGET", "UNREACHABLE_STATE", "SCHEMA_VALIDATION_FAILED"} <= codes
    text = str(raised.value)
    assert text.startswith("Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: X at /States/A/Next'")
    assert "\n" not in text
