# ruff: noqa
import time
import argparse  # filled: main uses it

def main():
      # Initialize parser
    parser = argparse.ArgumentParser()
    # Adding optional argument
    parser.add_argument("-m", "--Model", help = "Introduce the model of the camera.")
    parser.add_argument("-s", "--Serial", help = "Introduce the serial number of the camera.")
    parser.add_argument("-r", "--Recording", help = "Introduce the name of the recording session.")

    # Read arguments from command line
    args = parser.parse_args()

    if not args.Model:
      sys.exit("You are missing the model of the camera.")
    if not args.Serial:
      sys.exit("You are missing the serial number of the camera.")
    if not args.Recording:
      sys.exit("You are missing the name of the recording session.")

    camera_id = camera_with_model_and_serial(args.Model, args.Serial)
    now = datetime.min.strftime("%Y-%m-%dT%H:%M:%S")
    later = datetime.max.strftime("%Y-%m-%dT%H:%M:%S")

    recording_session_id = insert_recording_session(now, later, args.Recording)
    record_id = insert_record(recording_session_id, camera_id)

    insert_stream(record_id, "color", "color", "HEVC", 1280, 720, 300, 1000, 1000000, 30)
    insert_stream(record_id, "depth", "color", "Classic", 1280, 720, 300, 1000, 5000000, 30)
    update_recording_session_state(recording_session_id, "Standby")

    # Wait 5 seconds and record for 10. Do so 5 times.
    for i in range(5):
        time.sleep(5)  # filled
        update_recording_session_state(recording_session_id, "Started")
        time.sleep(10)  # filled
        update_recording_session_state(recording_session_id, "Standby")

    update_recording_session_state(recording_session_id, "Stopped")

if __name__ == '__main__':
    main()  # filled
