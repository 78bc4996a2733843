-- Version 6: the test case of the server's mock configuration an execution runs
-- (`StateMachineName#TestCase`), so that it keeps its mocks across a restart.
ALTER TABLE executions ADD COLUMN test_case TEXT;
